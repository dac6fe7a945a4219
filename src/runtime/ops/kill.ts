// kill: signal the container's init, or with all=true every process in its cgroup.
import type { StateStore } from "../state.ts";
import { managerFor, statusOf } from "./common.ts";

export function killContainer(store: StateStore, id: string, signal: number, all = false): void {
  const s = store.load(id);
  const status = statusOf(s, store);
  if (status === "stopped") throw new Error(`container ${id} is not running`);
  if (all) {
    managerFor(s).killAll(signal);
    return;
  }
  try {
    process.kill(s.pid, signal);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ESRCH") throw new Error(`container ${id} is not running`);
    throw e;
  }
}
