// Where berth's pieces live. The compiled CLIs sit in bin/ next to the native helper;
// when run from source (tests), the helper is found in native/.
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

let helper: string | undefined;

/** Path of the native helper (native/berth-init.c), overridable with BERTH_INIT. */
export function helperPath(): string {
  if (helper) return helper;
  const env = process.env.BERTH_INIT;
  const candidates = [
    env,
    join(dirname(process.execPath), "berth-init"),
    resolve(import.meta.dir, "../../bin/berth-init"),
    resolve(import.meta.dir, "../../native/berth-init"),
  ];
  for (const c of candidates) {
    if (c && existsSync(c)) return (helper = c);
  }
  throw new Error("berth-init (the native helper) not found: run `npm run build`, or set BERTH_INIT");
}

/** berth's state root (images, containers, volumes); BERTH_ROOT overrides. */
export function berthRoot(): string {
  return process.env.BERTH_ROOT ?? "/var/lib/berth";
}
