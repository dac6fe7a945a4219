// Warming the kernel's cgroup migration path before the helper needs it.
import { writeFile } from "node:fs/promises";
import { cgroupMounts } from "./detect.ts";
import { parseProcCgroup, readSelfCgroup } from "./path.ts";

let warmed = false;
/**
 * Begin a no-op cgroup migration (this process into the cgroup it is in) on a worker thread.
 * The kernel makes the first cgroup.procs write after a quiet spell wait for an RCU grace
 * period (cgroup_threadgroup_rwsem's rcu_sync: 3-16 ms here); writes during it share that wait
 * and writes shortly after it skip it. Begun as `run`/`start` begins, the wait overlaps the
 * command's own work instead of stalling the helper when it joins the container's cgroup.
 * Best effort: any error is ignored (the helper's own write then pays, as before).
 */
export function warmCgroupAttach(): void {
  if (warmed) return;
  warmed = true;
  try {
    const m = cgroupMounts();
    const self = parseProcCgroup(readSelfCgroup());
    let file: string | undefined;
    if (m.mode === "unified") {
      const own = self.get("");
      if (m.v2 && own !== undefined) file = `${m.v2}${own === "/" ? "" : own}/cgroup.procs`;
    } else {
      for (const [ctrl, mp] of m.v1) {
        const own = self.get(ctrl);
        if (own === undefined) continue;
        file = `${mp}${own === "/" ? "" : own}/cgroup.procs`;
        break;
      }
    }
    if (file) writeFile(file, String(process.pid)).catch(() => undefined);
  } catch {
    /* no cgroups to warm */
  }
}

