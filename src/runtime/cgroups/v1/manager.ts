// cgroup v1 manager: one directory per mounted hierarchy (co-mounted controllers share one).
// Used for legacy hosts and for hybrid hosts, where cgroup2 is ignored (it carries at most a
// few controllers, e.g. only hugetlb on berth's dev hosts).
import type { LinuxResources } from "../../spec.ts";
import type { CgroupMounts } from "../detect.ts";
import type { Controller, PlannedWrite } from "../common.ts";
import { performWrites } from "../common.ts";
import type { CgroupFs } from "../fs.ts";
import { mkdirAll, readPidsRecursive, removeTree } from "../fs.ts";
import { tryRemoveParent } from "../remove.ts";
import type { CgroupManager } from "../index.ts";
import { BERTH_PARENT, inBerthParent, resolveCgroupPath } from "../path.ts";
import { assertValidResources } from "../validate.ts";
import { emptyStats, type CgroupStats } from "../stats.ts";
import { blkio } from "./blkio.ts";
import { cpu, cpuacct } from "./cpu.ts";
import { cpuset, ensureCpuset } from "./cpuset.ts";
import { devicesWrites } from "../devices.ts";
import { freezeV1, freezerState, thawV1 } from "./freezer.ts";
import { hugetlb } from "./hugetlb.ts";
import { memory } from "./memory.ts";
import { pids } from "./pids.ts";
import { signalAll } from "../kill.ts";

interface Hierarchy {
  controllers: string[];
  root: string;
  /** path below root, "/a/b" */
  rel: string;
  dir: string;
}

// Join order. cpuset first (a task cannot join an unconfigured cpuset, so fail early);
// freezer last, so a task never sits frozen while still outside the other hierarchies.
const ORDER = ["cpuset", "cpu", "cpuacct", "memory", "devices", "blkio", "pids", "hugetlb", "net_cls", "net_prio", "perf_event", "rdma", "misc", "name=systemd", "freezer"];
const CONTROLLERS: Controller[] = [cpuset, cpu, cpuacct, memory, pids, blkio, hugetlb];

export class V1Manager implements CgroupManager {
  readonly version = 1 as const;
  private readonly hier: Hierarchy[];
  private readonly isDefaultPath: boolean;
  private readonly v2Mount: string | undefined;

  constructor(private readonly fs: CgroupFs, mounts: CgroupMounts, cgroupsPath: string | undefined, id: string, self: Map<string, string>) {
    this.isDefaultPath = inBerthParent(cgroupsPath, id);
    this.v2Mount = mounts.v2;
    const byMount = new Map<string, Hierarchy>();
    const rank = (c: string): number => (ORDER.includes(c) ? ORDER.indexOf(c) : ORDER.length - 1);
    const names = [...mounts.v1.keys()].sort((a, b) => rank(a) - rank(b));
    for (const c of names) {
      const root = mounts.v1.get(c)!;
      const h = byMount.get(root);
      if (h) {
        h.controllers.push(c);
        continue;
      }
      const rel = resolveCgroupPath(cgroupsPath, id, self.get(c));
      byMount.set(root, { controllers: [c], root, rel, dir: root + rel });
    }
    this.hier = [...byMount.values()];
  }

  private dirOf(controller: string): string | undefined {
    return this.hier.find((h) => h.controllers.includes(controller))?.dir;
  }

  /** the hierarchy used for pid listing and existence checks */
  private primary(): string {
    for (const c of ["pids", "freezer", "memory", "cpu", "devices"]) {
      const d = this.dirOf(c);
      if (d) return d;
    }
    return this.hier[0]!.dir;
  }

  paths(): string[] {
    return this.hier.map((h) => h.dir);
  }

  joinFiles(): string[] {
    return this.hier.map((h) => `${h.dir}/tasks`);
  }

  plannedWrites(r: LinuxResources): PlannedWrite[] {
    if (r.unified && Object.keys(r.unified).length > 0)
      throw new Error("linux.resources.unified: only supported on cgroup v2 (this host uses cgroup v1 controllers)");
    const out: PlannedWrite[] = [];
    for (const c of CONTROLLERS) {
      const dir = this.dirOf(c.name) ?? `<${c.name} not mounted>`;
      const ws = c.writes(dir, r);
      if (ws.length === 0) continue;
      if (!this.dirOf(c.name)) {
        const field = c.name === "hugetlb" ? "linux.resources.hugepageLimits" : `linux.resources (${c.name})`;
        // e.g. hugetlb on a hybrid host whose cgroup2 mount carries it: berth does not split one container across v1 and v2
        const where = this.v2Mount ? ` (the cgroup2 mount at ${this.v2Mount} is not used on a hybrid host)` : "";
        throw new Error(`${field}: the ${c.name} controller is not available in any cgroup v1 hierarchy on this host${where}`);
      }
      out.push(...ws);
    }
    const dev = this.dirOf("devices");
    if (dev) out.push(...devicesWrites(dev, r));
    return out;
  }

  create(): void {
    for (const h of this.hier) {
      const created = mkdirAll(this.fs, h.root, h.rel);
      if (h.controllers.includes("cpuset")) ensureCpuset(this.fs, h.root, h.rel, created);
    }
  }

  apply(r: LinuxResources): void {
    assertValidResources(r, 1);
    performWrites(this.fs, this.plannedWrites(r));
  }

  private freezerDir(): string {
    const d = this.dirOf("freezer");
    if (!d) throw new Error("the freezer cgroup controller is not mounted on this host");
    return d;
  }

  freeze(): void {
    freezeV1(this.fs, this.freezerDir());
  }

  thaw(): void {
    thawV1(this.fs, this.freezerDir());
  }

  frozen(): boolean {
    const d = this.dirOf("freezer");
    return !!d && this.fs.exists(d) && freezerState(this.fs, d) === "FROZEN";
  }

  pids(): number[] {
    return readPidsRecursive(this.fs, this.primary());
  }

  killAll(signal: number): void {
    // Freeze first so nothing forks between listing and signalling (as runc does).
    const canFreeze = !!this.dirOf("freezer") && this.fs.exists(this.freezerDir());
    let froze = false;
    if (canFreeze) {
      try {
        this.freeze();
        froze = true;
      } catch {
        // best effort: signal anyway
      }
    }
    try {
      signalAll(this.pids(), signal);
    } finally {
      if (froze) this.thaw();
    }
  }

  stats(): CgroupStats {
    const s = emptyStats();
    for (const c of CONTROLLERS) {
      const d = this.dirOf(c.name);
      if (d && c.stats && this.fs.exists(d)) c.stats(this.fs, d, s);
    }
    return s;
  }

  destroy(): void {
    let firstErr: unknown;
    for (const h of this.hier) {
      try {
        removeTree(this.fs, h.dir);
        // berth's shared parent goes too once the last container is gone
        if (this.isDefaultPath) tryRemoveParent(this.fs, h.root + BERTH_PARENT);
      } catch (e) {
        firstErr ??= e;
      }
    }
    if (firstErr) throw firstErr;
  }

  exists(): boolean {
    return this.hier.some((h) => this.fs.exists(h.dir));
  }
}

