// Lifetime of the per-network resolver processes. berth has no daemon, so the first container
// that joins a user-defined network starts one detached process for that network (listening on
// the bridge's gateway address, port 53); the last one to leave stops it. The process also exits
// on its own when its network is removed, and reconcileNetworks stops strays.
import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, rmSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { resolverLogFile, resolverPidFile } from "../store.ts";
import type { NetworkRecord } from "../types.ts";

export const RESOLVER_ARG = "__resolver";

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The command line that runs `serveNetwork(name)`: the berth CLI when compiled, else Bun on dns/main.ts. */
export function resolverCommand(name: string): string[] {
  const override = process.env.BERTH_RESOLVER_CMD;
  if (override) return [...override.split(" ").filter(Boolean), RESOLVER_ARG, name];
  // a compiled CLI (bun build --compile) is its own executable; import.meta.path may still name the source
  const self = basename(process.execPath);
  if (import.meta.path.startsWith("/$bunfs/") || (self !== "bun" && !self.startsWith("bun-"))) {
    const sibling = join(dirname(process.execPath), "berth");
    return [existsSync(sibling) ? sibling : process.execPath, "network", RESOLVER_ARG, name];
  }
  return [process.execPath, resolve(import.meta.dir, "main.ts"), RESOLVER_ARG, name];
}

/** PID of the network's resolver if it is running (checked against /proc, not just the pid file). */
export function resolverPid(name: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(resolverPidFile(name), "utf8").trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 1) return undefined;
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    const i = argv.indexOf(RESOLVER_ARG);
    if (i >= 0 && argv[i + 1] === name) return pid;
  } catch {
    // gone
  }
  return undefined;
}

/** Start the network's resolver unless it runs; resolves when it is listening. Lock held by the caller. */
export async function ensureResolver(n: NetworkRecord): Promise<number> {
  const running = resolverPid(n.name);
  if (running) return running;
  rmSync(resolverPidFile(n.name), { force: true });
  const [cmd, ...args] = resolverCommand(n.name);
  const log = openSync(resolverLogFile(n.name), "a", 0o600);
  let exited: string | undefined;
  try {
    const child = spawn(cmd!, args, { detached: true, stdio: ["ignore", log, log], cwd: "/", env: { ...process.env } });
    child.on("exit", (code, sig) => (exited = sig ?? `exit status ${code}`));
    child.on("error", (e) => (exited = e.message));
    child.unref();
  } finally {
    closeSync(log);
  }
  const deadline = Date.now() + 5000;
  for (;;) {
    const pid = resolverPid(n.name);
    if (pid) return pid;
    if (exited !== undefined || Date.now() > deadline) {
      let tail = "";
      try {
        tail = readFileSync(resolverLogFile(n.name), "utf8").trim().split("\n").slice(-3).join(" | ");
      } catch {
        // no log
      }
      throw new Error(`DNS resolver for network "${n.name}" did not start (${exited ?? "timeout"})${tail ? `: ${tail}` : ""}`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Stop the network's resolver (SIGTERM, then SIGKILL after 1 s) and remove its pid file. */
export function stopResolver(name: string): void {
  const pid = resolverPid(name);
  if (pid) {
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      // already gone
    }
    const deadline = Date.now() + 1000;
    while (resolverPid(name) === pid && Date.now() < deadline) sleepSync(5);
    if (resolverPid(name) === pid) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone
      }
      while (existsSync(`/proc/${pid}`) && Date.now() < deadline + 1000) sleepSync(5);
    }
  }
  rmSync(resolverPidFile(name), { force: true });
}
