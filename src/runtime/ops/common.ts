// What every runtime operation shares: the state store, and a container's cgroup manager
// rebuilt from its saved state.
import { basename } from "node:path";
import { cgroupManager, parseProcCgroup, type CgroupManager } from "../cgroups/index.ts";
import { readSelfCgroup } from "../cgroups/path.ts";
import { NoCgroup } from "../cgroups/none.ts";
import { cgroupMounts } from "../cgroups/detect.ts";
import type { CgroupMountSource } from "../plan/compile.ts";
import { deriveStatus, type ContainerState, type StateStore, type Status } from "../state.ts";
import type { Spec } from "../spec.ts";
import type { Seccomp } from "../plan/builder.ts";
import { compiledSeccomp } from "../seccomp/cache.ts";
import { join } from "node:path";

export interface RuntimeOptions {
  store: StateStore;
}

export function managerFor(s: Pick<ContainerState, "id" | "cgroupsPath" | "noCgroup">): CgroupManager {
  if (s.noCgroup) return new NoCgroup(cgroupMounts().mode === "unified" ? 2 : 1, s.noCgroup);
  return cgroupManager({ cgroupsPath: s.cgroupsPath, id: s.id });
}

export const rootless = (): boolean => process.getuid?.() !== 0;

export function statusOf(s: ContainerState, store: StateStore): Status {
  return deriveStatus(s, store, () => managerFor(s).frozen());
}

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

/** The cgroup.procs files of the cgroups this process is in now, hierarchy by hierarchy:
 *  where a monitor goes back to after clone, so the container is not charged for it. */
export function ownCgroupProcs(cg: CgroupManager): string[] {
  const mounts = cgroupMounts();
  const self = parseProcCgroup(readSelfCgroup());
  if (cg.version === 2) return mounts.v2 ? [`${mounts.v2}${self.get("") ?? "/"}/cgroup.procs`.replace("//", "/")] : [];
  const out: string[] = [];
  for (const p of cg.paths()) {
    const entry = [...mounts.v1].filter(([, mp]) => p === mp || p.startsWith(`${mp}/`)).sort((a, b) => b[1].length - a[1].length)[0];
    if (!entry) continue;
    const [ctrl, mp] = entry;
    const own = self.get(ctrl);
    if (own !== undefined) out.push(`${mp}${own === "/" ? "" : own}/cgroup.procs`);
  }
  return out;
}

export async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** The config's seccomp filter, compiled once per distinct profile (cached under the root). */
export function seccompFor(spec: Spec, store: StateStore): Seccomp | undefined {
  const profile = spec.linux?.seccomp;
  if (!profile) return undefined;
  const c = compiledSeccomp(profile, join(store.root, ".seccomp-cache"));
  return { program: c.program, flags: c.flags };
}
