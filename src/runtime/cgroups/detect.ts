// Which cgroup layout the host has: legacy (v1 only), hybrid (v1 controllers + a cgroup2
// mount, usually at /sys/fs/cgroup/unified), or unified (v2 only). Read from mountinfo once.
import { readFileSync } from "node:fs";
import { kernelRelease } from "../../sys/host.ts";

export type CgroupMode = "legacy" | "hybrid" | "unified";

export interface CgroupMounts {
  mode: CgroupMode;
  /** v1: controller name -> mount point (co-mounted controllers share one) */
  v1: Map<string, string>;
  /** the cgroup2 mount point, if any */
  v2?: string;
}

export function parseMountinfo(text: string): CgroupMounts {
  const v1 = new Map<string, string>();
  let v2: string | undefined;
  for (const line of text.split("\n")) {
    if (!line) continue;
    const sep = line.indexOf(" - ");
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(" ");
    const right = line.slice(sep + 3).split(" ");
    const mountPoint = unescapeMount(left[4] ?? "");
    const fstype = right[0];
    if (fstype === "cgroup2") {
      if (!v2 || mountPoint === "/sys/fs/cgroup") v2 = mountPoint;
    } else if (fstype === "cgroup") {
      for (const opt of (right[2] ?? "").split(",")) {
        if (KNOWN_V1.has(opt) || opt.startsWith("name=")) if (!v1.has(opt)) v1.set(opt, mountPoint);
      }
    }
  }
  const mode: CgroupMode = v1.size === 0 ? "unified" : v2 ? "hybrid" : "legacy";
  return { mode, v1, v2 };
}

const KNOWN_V1 = new Set([
  "cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids",
  "hugetlb", "net_cls", "net_prio", "perf_event", "rdma", "misc",
]);

function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

let cached: CgroupMounts | undefined;
export function cgroupMounts(): CgroupMounts {
  return (cached ??= parseMountinfo(readFileSync("/proc/self/mountinfo", "utf8")));
}

let cloneInto: boolean | undefined;
/** Whether this kernel clones into a cgroup (clone3 CLONE_INTO_CGROUP, Linux 5.7). */
export function kernelClonesIntoCgroup(release?: string): boolean {
  if (release === undefined && cloneInto !== undefined) return cloneInto;
  const m = /^(\d+)\.(\d+)/.exec(release ?? kernelRelease());
  const yes = !!m && (Number(m[1]) > 5 || (Number(m[1]) === 5 && Number(m[2]) >= 7));
  if (release === undefined) cloneInto = yes;
  return yes;
}
