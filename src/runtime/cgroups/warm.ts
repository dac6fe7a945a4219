// Warming the kernel's cgroup migration path before the helper needs it.
import { cgroupMounts, kernelClonesIntoCgroup } from "./detect.ts";
import { parseProcCgroup, readSelfCgroup } from "./path.ts";

let warmed = false;
/**
 * Begin a no-op cgroup migration (this process into the cgroup it is in) on a worker thread.
 * The kernel makes the first cgroup.procs write after a quiet spell wait for an RCU grace
 * period (cgroup_threadgroup_rwsem's rcu_sync: 3-16 ms here); writes during it share that wait
 * and writes shortly after it skip it. Begun as `run`/`start` begins, the wait overlaps the
 * command's own work instead of stalling the helper when it joins the container's cgroup.
 * Best effort: any error is ignored (the helper's own write then pays, as before).
 * Only on cgroup v2 before Linux 5.7: on v1 the helper joins through `tasks`
 * (CgroupManager.joinFiles), which does not take that lock, and on newer v2 kernels the child is
 * cloned into its cgroup; a warming write would then only hold cgroup_mutex (blocking our
 * mkdirs) through its grace period.
 */
export function warmCgroupAttach(): void {
  if (warmed) return;
  warmed = true;
  try {
    const m = cgroupMounts();
    // v1 joins through `tasks`, and v2 children are cloned into their cgroup (Linux >= 5.7)
    if (m.mode !== "unified" || !m.v2 || kernelClonesIntoCgroup()) return;
    const own = parseProcCgroup(readSelfCgroup()).get("");
    if (own === undefined) return;
    // node:fs/promises loads only here: its writes run on another thread
    const { writeFile } = require("node:fs/promises") as typeof import("node:fs/promises");
    writeFile(`${m.v2}${own === "/" ? "" : own}/cgroup.procs`, String(process.pid)).catch(() => undefined);
  } catch {
    /* no cgroups to warm */
  }
}

