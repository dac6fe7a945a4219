// What a plan needs from the host besides the config (create and exec only): the cgroup mounts
// a container sees, the cgroups a monitor returns to, the compiled seccomp filter.
import { basename, join } from "node:path";
import { parseProcCgroup, type CgroupManager } from "../cgroups/index.ts";
import { readSelfCgroup } from "../cgroups/path.ts";
import { cgroupMounts, kernelClonesIntoCgroup } from "../cgroups/detect.ts";
import type { CgroupMountSource } from "../plan/compile.ts";
import type { StateStore } from "../state.ts";
import type { Namespace, Spec } from "../spec.ts";
import type { Seccomp } from "../plan/builder.ts";
import { compiledSeccomp } from "../seccomp/cache.ts";

/** What a "cgroup" mount inside the container shows: one entry per hierarchy we joined. */
export function cgroupMountSources(cg: CgroupManager): CgroupMountSource[] {
  if (cg.version === 2) return cg.paths().map((p) => ({ name: "", hostPath: p, options: "" }));
  const mounts = cgroupMounts();
  const byMount = new Map<string, string[]>();
  for (const [ctrl, mp] of mounts.v1) byMount.set(mp, [...(byMount.get(mp) ?? []), ctrl]);
  const out: CgroupMountSource[] = [];
  for (const p of cg.paths()) {
    const mp = [...byMount.keys()].filter((m) => p === m || p.startsWith(`${m}/`)).sort((a, b) => b.length - a.length)[0];
    if (!mp) continue;
    out.push({ name: basename(mp), hostPath: p, options: byMount.get(mp)!.join(",") });
  }
  return out;
}

/** The join files (see CgroupManager.joinFiles) of the cgroups this process is in now, hierarchy
 *  by hierarchy: where a monitor goes back to after clone, so the container is not charged for it. */
export function ownCgroupJoinFiles(cg: CgroupManager): string[] {
  const mounts = cgroupMounts();
  const self = parseProcCgroup(readSelfCgroup());
  if (cg.version === 2) return mounts.v2 ? [`${mounts.v2}${self.get("") ?? "/"}/cgroup.procs`.replace("//", "/")] : [];
  const out: string[] = [];
  for (const p of cg.paths()) {
    const entry = [...mounts.v1].filter(([, mp]) => p === mp || p.startsWith(`${mp}/`)).sort((a, b) => b[1].length - a[1].length)[0];
    if (!entry) continue;
    const [ctrl, mp] = entry;
    const own = self.get(ctrl);
    if (own !== undefined) out.push(`${mp}${own === "/" ? "" : own}/tasks`);
  }
  return out;
}

/** The config's seccomp filter, compiled once per distinct profile (cached under the root). */
export function seccompFor(spec: Spec, store: StateStore): Seccomp | undefined {
  const profile = spec.linux?.seccomp;
  if (!profile) return undefined;
  const c = compiledSeccomp(profile, join(store.root, ".seccomp-cache"));
  return { program: c.program, flags: c.flags };
}

/** v2 on a kernel that can: the container's cgroup directory, for the child to be cloned straight
 *  into (no process migrates, so nobody waits for the kernel's threadgroup lock); else undefined
 *  and the helper joins through CgroupManager.joinFiles(). Not when the helper joins a user or
 *  cgroup namespace by path before clone: the kernel checks the clone against the caller's
 *  credentials and cgroup namespace then, where a join made first, as host root, is safe. */
export function cloneIntoCgroupDir(cg: CgroupManager, namespaces: Namespace[] = []): string | undefined {
  if (cg.version !== 2 || cg.joinFiles().length !== 1) return undefined;
  if (namespaces.some((n) => n.path && (n.type === "user" || n.type === "cgroup"))) return undefined;
  return kernelClonesIntoCgroup() ? cg.paths()[0] : undefined;
}
