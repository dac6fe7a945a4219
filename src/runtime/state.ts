// Per-container runtime state under --root (default /run/berth-runtime): state.json written
// atomically (temp file, fsync, rename), and the status derived from the live system rather
// than trusted from disk: a dead or reused pid means "stopped", whatever the file says.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, rmSync, unlinkSync } from "node:fs";
import { writeFileAtomic } from "../sys/atomic.ts";
import { join } from "node:path";
import type { Spec } from "./spec.ts";
import { ID_RE, validateId } from "./id.ts";
import { isLiveAs, parseProcStat, type ProcStat } from "./proc-stat.ts";
import { isState } from "./state-shape.ts";

export type Status = "creating" | "created" | "running" | "paused" | "stopped";

export interface ContainerState {
  ociVersion: string;
  id: string;
  /** host pid of the container's init; 0 while creating */
  pid: number;
  /** /proc/<pid>/stat start time, to tell our process from a reused pid */
  startTime: number;
  bundle: string;
  rootfs: string;
  created: string;
  owner: string;
  annotations?: Record<string, string>;
  /** "creating" until the init reported ready, then "created" */
  phase: "creating" | "created";
  cgroupsPath?: string;
  /** the cgroup directories berth made (removed on delete) */
  cgroupPaths: string[];
  /** rootless without a delegated cgroup: the reason there is none */
  noCgroup?: string;
  /** the config the container was created from (hooks, update, delete need it) */
  config: Spec;
}

export { ID_RE, validateId };

export class StateStore {
  constructor(readonly root: string) {}

  dir(id: string): string {
    return join(this.root, id);
  }

  fifo(id: string): string {
    return join(this.dir(id), "exec.fifo");
  }

  /** Claim the id: fails if a container with this id exists. */
  claim(id: string): string {
    validateId(id);
    mkdirSync(this.root, { recursive: true, mode: 0o700 });
    const dir = this.dir(id);
    try {
      mkdirSync(dir, { mode: 0o711 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EEXIST") throw new Error(`container with id ${id} already exists`);
      throw e;
    }
    return dir;
  }

  save(s: ContainerState): void {
    writeAtomic(join(this.dir(s.id), "state.json"), JSON.stringify(s));
  }

  load(id: string): ContainerState {
    validateId(id);
    let text: string;
    try {
      text = readFileSync(join(this.dir(id), "state.json"), "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") throw new NotFoundError(`container ${id} does not exist`);
      throw e;
    }
    let s: unknown;
    try {
      s = JSON.parse(text);
    } catch {
      s = undefined;
    }
    if (!isState(s)) throw new Error(`state of container ${id} is damaged (${join(this.dir(id), "state.json")}): delete it with --force`);
    return s;
  }

  /** A container whose create died before writing state.json still has a directory. */
  exists(id: string): boolean {
    return existsSync(this.dir(id));
  }

  ids(): string[] {
    try {
      return readdirSync(this.root).filter((n) => ID_RE.test(n) && existsSync(join(this.root, n, "state.json")));
    } catch {
      return [];
    }
  }

  remove(id: string): void {
    const dir = this.dir(id);
    // the usual content is state.json alone: two syscalls instead of a recursive walk
    try {
      unlinkSync(join(dir, "state.json"));
      rmdirSync(dir);
      return;
    } catch {
      // more files (exec.fifo of a never-started container, a temp file), or gone already
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

export class NotFoundError extends Error {
  override name = "NotFoundError";
}

/** temp file + rename; fsync only where the data must survive a crash of the machine
 *  (the runtime's state lives under /run and dies with the machine anyway). */
export function writeAtomic(path: string, data: string, durable = false): void {
  writeFileAtomic(path, data, 0o600, durable);
}

/** Field 22 of /proc/<pid>/stat, and whether the process is a zombie; undefined if gone. */
export function procStart(pid: number): ProcStat | undefined {
  const stat = procStatText(pid);
  return stat === undefined ? undefined : parseProcStat(stat);
}

function procStatText(pid: number): string | undefined {
  if (pid <= 0) return undefined;
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
}

export function isAlive(s: ContainerState): boolean {
  return isLiveAs(procStatText(s.pid), s.startTime);
}

export function deriveStatus(s: ContainerState, store: StateStore, frozen: () => boolean): Status {
  if (s.phase === "creating") return isAlive(s) ? "creating" : "stopped";
  if (!isAlive(s)) return "stopped";
  if (existsSync(store.fifo(s.id))) return "created";
  try {
    if (frozen()) return "paused";
  } catch {
    /* no freezer: not paused */
  }
  return "running";
}
