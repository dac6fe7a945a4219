// Keeping a container's network namespace alive until its teardown: a bind mount of the netns
// file under <networks>/netns/<id>. CNI DEL then always finds the namespace (the bridge plugin
// only removes its masquerade rules when it can read the addresses there), even when the
// container's processes are gone, and a recycled /proc/PID path can never point DEL elsewhere.
import { rmSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { bindMount, umountDetach } from "../sys/ffi.ts";
import { netnsPinDir } from "./store.ts";

export const pinPath = (id: string): string => join(netnsPinDir(), id);

let nsfsDev: number | undefined;

/** Whether `path` is a network namespace (an nsfs file), not a plain file left after a reboot. */
export function isNetns(path: string): boolean {
  try {
    nsfsDev ??= statSync("/proc/self/ns/net").dev;
    return statSync(path).dev === nsfsDev;
  } catch {
    return false;
  }
}

/** Bind-mount `netnsPath` at pinPath(id) (replacing a stale pin); returns the pin's path. */
export function pinNetns(id: string, netnsPath: string): string {
  if (!isNetns(netnsPath)) throw new Error(`container ${id.slice(0, 12)}: ${netnsPath} is not a network namespace`);
  const pin = pinPath(id);
  unpinNetns(id);
  mkdirSync(netnsPinDir(), { recursive: true });
  writeFileSync(pin, "", { mode: 0o600 });
  bindMount(netnsPath, pin);
  return pin;
}

export function unpinNetns(id: string): void {
  const pin = pinPath(id);
  // a path may carry stacked mounts if something went wrong before; peel them all
  for (let i = 0; i < 8 && umountDetach(pin); i++);
  rmSync(pin, { force: true });
}
