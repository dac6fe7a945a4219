// start: release a created container's init by writing to its exec fifo, then remove the fifo
// (its absence is what marks the container as running).
import { closeSync, constants, openSync, unlinkSync, writeSync } from "node:fs";
import type { StateStore } from "../state.ts";
import { statusOf } from "./common.ts";
import { trace } from "../../sys/trace.ts";
import { runHooks, stateJson, warn } from "./hooks.ts";

export async function startContainer(store: StateStore, id: string): Promise<void> {
  const s = store.load(id);
  const status = statusOf(s, store);
  if (status !== "created") throw new Error(`cannot start a container that is ${status} (only a created one)`);
  if (!s.config.process) throw new Error(`cannot start container ${id}: its config.json has no process to run`);
  const hooks = s.config.hooks ?? {};
  // startContainer hooks run inside the container, before the user's program
  for (const [i, h] of (hooks.startContainer ?? []).entries()) {
    const { execInContainer } = await import("./exec.ts");
    const r = await execInContainer(store, id, {
      process: { args: h.args?.length ? h.args : [h.path], env: h.env ?? [], cwd: "/", user: { uid: 0, gid: 0 }, capabilities: s.config.process?.capabilities },
      allowCreated: true,
      execPath: h.path,
    });
    const code = await r.exit;
    if (code !== 0) throw new Error(`hooks.startContainer[${i}] (${h.path}): exited with status ${code}`);
  }
  release(store.fifo(id), id);
  trace("start: released");
  if (hooks.poststart?.length) {
    try {
      await runHooks("poststart", hooks.poststart, stateJson(s, "running"));
    } catch (e) {
      warn((e as Error).message);
    }
  }
}

/** Write the byte the init waits for on its exec fifo, then remove the fifo (its absence marks
 *  the container as running). The init holds the fifo open read-write from before clone, so the
 *  fifo has a reader exactly while the init lives: with none (ENXIO) or gone mid-write (EPIPE), it
 *  died before it could be started. Non-blocking: nothing here waits for the init. */
export function release(fifo: string, id: string): void {
  const died = (e: unknown): boolean => ["ENXIO", "EPIPE"].includes((e as NodeJS.ErrnoException).code ?? "");
  let fd: number;
  try {
    fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
  } catch (e) {
    if (died(e)) throw new Error(`container ${id} exited before it could be started`);
    throw e;
  }
  try {
    writeSync(fd, "0");
  } catch (e) {
    if (died(e)) throw new Error(`container ${id} exited before it could be started`);
    throw e;
  } finally {
    closeSync(fd);
  }
  try {
    unlinkSync(fifo);
  } catch {
    /* gone already */
  }
}
