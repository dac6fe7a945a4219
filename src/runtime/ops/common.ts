// What every runtime operation shares: a container's cgroup manager rebuilt from its saved
// state, and its live status. Kept small: start, state, kill and delete load only this.
import type { CgroupManager } from "../cgroups/index.ts";
import { deriveStatus, type ContainerState, type StateStore, type Status } from "../state.ts";

export interface RuntimeOptions {
  store: StateStore;
}

/** The cgroup layer loads on first use: `start` of a created container never needs it. */
export function managerFor(s: Pick<ContainerState, "id" | "cgroupsPath" | "noCgroup">): CgroupManager {
  if (s.noCgroup) {
    const { NoCgroup } = require("../cgroups/none.ts") as typeof import("../cgroups/none.ts");
    const { cgroupMounts } = require("../cgroups/detect.ts") as typeof import("../cgroups/detect.ts");
    return new NoCgroup(cgroupMounts().mode === "unified" ? 2 : 1, s.noCgroup);
  }
  const { cgroupManager } = require("../cgroups/index.ts") as typeof import("../cgroups/index.ts");
  return cgroupManager({ cgroupsPath: s.cgroupsPath, id: s.id });
}

export const rootless = (): boolean => process.getuid?.() !== 0;

export function statusOf(s: ContainerState, store: StateStore): Status {
  return deriveStatus(s, store, () => managerFor(s).frozen());
}

export async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}
