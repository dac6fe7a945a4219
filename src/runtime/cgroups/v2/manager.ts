// cgroup v2 manager: one directory in the unified hierarchy.
import type { LinuxResources } from "../../spec.ts";
import type { Controller, PlannedWrite } from "../common.ts";
import { performWrites, w } from "../common.ts";
import type { CgroupFs } from "../fs.ts";
import { CgroupError, mkdirAll, readPidsRecursive, realFs, removeTree } from "../fs.ts";
import { tryRemoveParent } from "../remove.ts";
import { deviceRules } from "../devices.ts";
import { compileDeviceFilter } from "./device-filter.ts";
import type { CgroupManager } from "../index.ts";
import { signalAll } from "../kill.ts";
import { BERTH_PARENT, inBerthParent, resolveCgroupPath } from "../path.ts";
import { assertValidResources } from "../validate.ts";
import { emptyStats, type CgroupStats } from "../stats.ts";
import { cpu } from "./cpu.ts";
import { cpuset } from "./cpuset.ts";
import { isFrozenV2, setFrozenV2 } from "./freeze.ts";
import { hugetlb } from "./hugetlb.ts";
import { io } from "./io.ts";
import { memory } from "./memory.ts";
import { pids } from "./pids.ts";

const CONTROLLERS: Controller[] = [cpuset, cpu, memory, pids, io, hugetlb];
const SIGKILL = 9;

export class V2Manager implements CgroupManager {
  readonly version = 2 as const;
  private readonly rel: string;
  private readonly dir: string;
  /** the shared /berth parent is ours to remove (path.ts inBerthParent) */
  private readonly berthParent: boolean;

  constructor(private readonly fs: CgroupFs, private readonly root: string, cgroupsPath: string | undefined, id: string, self: Map<string, string>) {
    this.rel = resolveCgroupPath(cgroupsPath, id, self.get(""));
    this.berthParent = inBerthParent(cgroupsPath, id);
    this.dir = root + this.rel;
  }

  paths(): string[] {
    return [this.dir];
  }

  joinFiles(): string[] {
    return [`${this.dir}/cgroup.procs`];
  }

  plannedWrites(r: LinuxResources): PlannedWrite[] {
    const out: PlannedWrite[] = [];
    for (const c of CONTROLLERS) out.push(...c.writes(this.dir, r));
    // devices: an eBPF program attached in apply() (device-filter.ts), not file writes
    // raw keys last so they can override the converted values
    for (const [k, v] of Object.entries(r.unified ?? {})) out.push(w(this.dir, k, v));
    return out;
  }

  /** Enable every available controller in each ancestor's subtree_control, then mkdir the next level. */
  create(): void {
    let cur = this.root;
    for (const part of this.rel.split("/").filter(Boolean)) {
      this.enableControllers(cur);
      mkdirAll(this.fs, cur, part);
      cur = `${cur}/${part}`;
    }
  }

  private enableControllers(dir: string): void {
    const words = (f: string): string[] => this.fs.read(`${dir}/${f}`).trim().split(/\s+/).filter(Boolean);
    const enabled = new Set(words("cgroup.subtree_control"));
    for (const c of words("cgroup.controllers")) {
      if (enabled.has(c)) continue;
      try {
        this.fs.write(`${dir}/cgroup.subtree_control`, `+${c}`);
      } catch (e) {
        // EBUSY: processes live in dir (no-internal-processes rule). apply() reports what is missing.
        if (!(e instanceof CgroupError)) throw e;
      }
    }
  }

  apply(r: LinuxResources): void {
    assertValidResources(r, 2);
    const have = new Set(this.fs.read(`${this.dir}/cgroup.controllers`).trim().split(/\s+/));
    for (const c of CONTROLLERS) {
      if (c.writes(this.dir, r).length > 0 && !have.has(c.name)) {
        const field = c.name === "hugetlb" ? "linux.resources.hugepageLimits" : `linux.resources (${c.name})`;
        throw new Error(`${field}: the ${c.name} controller is not enabled for ${this.dir} (not in its cgroup.controllers)`);
      }
    }
    performWrites(this.fs, this.plannedWrites(r));
    const rules = deviceRules(r);
    // the eBPF program is loaded only against the real cgroupfs (the fake fs has no kernel)
    if (rules && this.fs === realFs) {
      // loaded on demand: bun:ffi stays off the start-up path of hosts that never need it
      const { attachDeviceFilter } = require("../../../sys/ffi.ts") as typeof import("../../../sys/ffi.ts");
      attachDeviceFilter(this.dir, compileDeviceFilter(rules));
    }
  }

  freeze(): void {
    setFrozenV2(this.fs, this.dir, true);
  }

  thaw(): void {
    setFrozenV2(this.fs, this.dir, false);
  }

  frozen(): boolean {
    return this.fs.exists(this.dir) && isFrozenV2(this.fs, this.dir);
  }

  pids(): number[] {
    return readPidsRecursive(this.fs, this.dir);
  }

  killAll(signal: number): void {
    if (signal === SIGKILL && this.fs.exists(`${this.dir}/cgroup.kill`)) this.fs.write(`${this.dir}/cgroup.kill`, "1");
    else signalAll(this.pids(), signal);
  }

  stats(): CgroupStats {
    const s = emptyStats();
    if (this.fs.exists(this.dir)) for (const c of CONTROLLERS) c.stats?.(this.fs, this.dir, s);
    return s;
  }

  destroy(): void {
    removeTree(this.fs, this.dir);
    if (this.berthParent) tryRemoveParent(this.fs, this.root + BERTH_PARENT);
  }

  exists(): boolean {
    return this.fs.exists(this.dir);
  }
}
