// Where the engine keeps its state: one directory per container under berthRoot()/containers
// (the image layer reads its config.json "image" field), names as O_EXCL files, the runtime's
// state under berthRoot()/runtime, attach sockets under /run/berth (short: sun_path is 108 bytes).
import { join } from "node:path";
import { berthRoot } from "../sys/paths.ts";

export const containersDir = (): string => join(berthRoot(), "containers");
export const containerDir = (id: string): string => join(containersDir(), id);
export const recordPath = (id: string): string => join(containerDir(id), "config.json");
export const namesDir = (): string => join(berthRoot(), "container-names");
export const locksDir = (): string => join(berthRoot(), "locks", "containers");
export const runtimeRoot = (): string => join(berthRoot(), "runtime");
export const seccompCacheDir = (): string => join(berthRoot(), "cache", "seccomp");
export const runDir = (): string => process.env.BERTH_RUN_DIR ?? "/run/berth";
export const attachSocket = (id: string): string => join(runDir(), `${id}.sock`);
export const bundleDir = (id: string): string => join(containerDir(id), "bundle");
export const rootfsDir = (id: string): string => join(containerDir(id), "rootfs");
export const exitFile = (id: string): string => join(containerDir(id), "exit");
export const logPath = (id: string): string => join(containerDir(id), "container-json.log");

/** The berth binary, for commands the monitor runs (exit handling, health checks). */
export function berthBinary(): string {
  if (process.env.BERTH_BIN) return process.env.BERTH_BIN;
  // compiled: process.execPath is bin/berth; from source, argv[1] is the script (tests use bin/berth)
  if (!/\/bun(-[\w.]+)?$/.test(process.execPath)) return process.execPath;
  return join(import.meta.dir, "../../bin/berth");
}
