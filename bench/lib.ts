// Benchmark helpers: interleaved runs of several commands, medians, ratios.
import { spawnSync } from "node:child_process";
import { closeSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Contender {
  name: string;
  /** one timed iteration; throws on failure */
  run: (i: number) => void;
  setup?: () => void;
  teardown?: () => void;
}

const errFile = join(tmpdir(), `berth-bench-stderr-${process.pid}`);
process.on("exit", () => rmSync(errFile, { force: true }));

/** Run a command, its stderr to a file: a pipe would be inherited by a created container's
 *  init and keep spawnSync waiting until that container exits. */
export function sh(cmd: string, args: string[], opts: { cwd?: string } = {}): void {
  const fd = openSync(errFile, "w");
  let r;
  try {
    r = spawnSync(cmd, args, { cwd: opts.cwd, stdio: ["ignore", "ignore", fd] });
  } finally {
    closeSync(fd);
  }
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${readFileSync(errFile, "utf8")}`);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Round-robin the contenders `rounds` times after `warmup` untimed rounds. */
export function interleave(contenders: Contender[], rounds: number, warmup = 3): Map<string, number[]> {
  const times = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  for (const c of contenders) c.setup?.();
  try {
    for (let r = 0; r < warmup + rounds; r++) {
      for (const c of contenders) {
        const t0 = performance.now();
        c.run(r);
        const dt = performance.now() - t0;
        if (r >= warmup) times.get(c.name)!.push(dt);
      }
    }
  } finally {
    for (const c of contenders) c.teardown?.();
  }
  return times;
}

export function report(title: string, times: Map<string, number[]>, baseline: string): string {
  const base = median(times.get(baseline)!);
  const lines = [`${title}`, `${"contender".padEnd(28)} ${"median ms".padStart(10)} ${"min".padStart(8)} ${"max".padStart(8)}  ratio vs ${baseline}`];
  for (const [name, xs] of times) {
    const m = median(xs);
    lines.push(`${name.padEnd(28)} ${m.toFixed(1).padStart(10)} ${Math.min(...xs).toFixed(1).padStart(8)} ${Math.max(...xs).toFixed(1).padStart(8)}  ${(m / base).toFixed(2)}`);
  }
  return lines.join("\n");
}

export function have(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
}

/**
 * Give every contender's binaries the same page-cache state before timing: evicted, then read
 * once sequentially, as after an install. How a binary's pages entered the cache moves a
 * compiled Bun binary's start-up by ~1.2 ms here (`berth-runtime state` of a missing container:
 * 6.5 ms when its pages were faulted in one by one after a drop_caches, 5.2 ms when read
 * sequentially: larger page-cache folios, fewer faults), so a bench run after another bench's
 * drop_caches would otherwise measure that history.
 */
export function settleBinaries(paths: string[]): void {
  for (const p of paths) {
    const abs = p.includes("/") ? p : spawnSync("sh", ["-c", `command -v ${p}`], { encoding: "utf8" }).stdout.trim();
    if (!abs) continue;
    spawnSync("dd", [`if=${abs}`, "iflag=nocache", "count=0"], { stdio: "ignore" });
    spawnSync("sh", ["-c", 'cat "$1" > /dev/null', "sh", abs], { stdio: "ignore" });
  }
}
