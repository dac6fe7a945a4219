// Leases protect content a running pull/load is still assembling from garbage collection:
// berthRoot()/leases/<pid>-<n>.json lists digests; a lease whose process is gone is ignored.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { root } from "./content.ts";

let n = 0;

export class Lease {
  private readonly path: string;
  private readonly digests = new Set<string>();

  constructor() {
    const dir = join(root(), "leases");
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, `${process.pid}-${n++}.json`);
    this.save();
  }

  add(...digests: string[]): void {
    for (const d of digests) this.digests.add(d);
    this.save();
  }

  private save(): void {
    writeFileSync(this.path, JSON.stringify([...this.digests]));
  }

  release(): void {
    rmSync(this.path, { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Digests held by live leases; leases of dead processes are removed. */
export function leasedDigests(): Set<string> {
  const out = new Set<string>();
  const dir = join(root(), "leases");
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    const pid = Number(name.split("-")[0]);
    const p = join(dir, name);
    if (!alive(pid)) {
      rmSync(p, { force: true });
      continue;
    }
    try {
      for (const d of JSON.parse(readFileSync(p, "utf8")) as string[]) out.add(d);
    } catch {
      // being written
    }
  }
  return out;
}
