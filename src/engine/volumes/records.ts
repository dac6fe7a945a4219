// Read-only view of the engine's container records, berthRoot()/containers/<id>/config.json,
// as volumes and `system df` need it. Fields read (agreed with the engine):
//   id, name, image (image ID), command, created, volumes: string[] (volume names mounted),
//   and whether it runs: `status`/`state` "running" (or State.Running) in config.json or
//   state.json, checked against /proc when a `pid` is recorded.
// The writable layer is <dir>/diff. Records being written, or other files, are skipped.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { berthRoot } from "../../sys/paths.ts";

export interface ContainerRecord {
  id: string;
  name: string;
  image: string;
  command: string;
  created: string;
  status: string;
  volumes: string[];
  running: boolean;
  dir: string;
}

type Json = Record<string, unknown>;

function readJson(path: string): Json | undefined {
  try {
    const v: unknown = JSON.parse(readFileSync(path, "utf8"));
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Json) : undefined;
  } catch {
    return undefined;
  }
}

const s = (v: unknown): string => (typeof v === "string" ? v : Array.isArray(v) ? v.map(String).join(" ") : "");

function statusOf(docs: Json[]): { status: string; pid: number } {
  let status = "";
  let pid = 0;
  for (const d of docs) {
    const st = d.State && typeof d.State === "object" ? (d.State as Json) : undefined;
    const v = s(d.status) || s(d.state) || s(d.Status) || (st ? s(st.Status) || (st.Running === true ? "running" : "") : "");
    if (v) status = v.toLowerCase();
    const p = typeof d.pid === "number" ? d.pid : st && typeof st.Pid === "number" ? st.Pid : 0;
    if (p > 0) pid = p;
  }
  return { status, pid };
}

export function containerRecords(): ContainerRecord[] {
  const root = join(berthRoot(), "containers");
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return [];
  }
  const out: ContainerRecord[] = [];
  for (const n of names) {
    const dir = join(root, n);
    const cfg = readJson(join(dir, "config.json"));
    if (!cfg) continue;
    const state = readJson(join(dir, "state.json"));
    const { status, pid } = statusOf(state ? [cfg, state] : [cfg]);
    const running = (status === "running" || status === "paused") && pid > 0 && existsSync(`/proc/${pid}`);
    const vols = Array.isArray(cfg.volumes) ? cfg.volumes.filter((v): v is string => typeof v === "string") : [];
    out.push({
      id: s(cfg.id) || n,
      name: s(cfg.name).replace(/^\//, ""),
      image: s(cfg.image) || s(cfg.Image),
      command: s(cfg.command),
      created: s(cfg.created),
      status: running ? status : status === "running" ? "exited" : status || "created",
      volumes: vols,
      running,
      dir,
    });
  }
  return out;
}

/** volume name → ids of the containers whose record lists it */
export function volumeRefs(): Map<string, string[]> {
  const refs = new Map<string, string[]>();
  for (const c of containerRecords())
    for (const v of new Set(c.volumes)) {
      const l = refs.get(v) ?? [];
      l.push(c.id);
      refs.set(v, l);
    }
  return refs;
}
