// pause/resume: the freezer.
import type { StateStore } from "../state.ts";
import { managerFor, statusOf } from "./common.ts";

export function pauseContainer(store: StateStore, id: string): void {
  const s = store.load(id);
  const status = statusOf(s, store);
  if (status !== "running" && status !== "created") throw new Error(`cannot pause container ${id} that is ${status}`);
  managerFor(s).freeze();
}

export function resumeContainer(store: StateStore, id: string): void {
  const s = store.load(id);
  const status = statusOf(s, store);
  if (status !== "paused") throw new Error(`cannot resume container ${id} that is ${status}: it is not paused`);
  managerFor(s).thaw();
}
