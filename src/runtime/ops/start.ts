// start: release a created container's init by reading its exec fifo, then remove the fifo
// (its absence is what marks the container as running).
import { closeSync, constants, openSync, readSync, unlinkSync } from "node:fs";
import type { StateStore } from "../state.ts";
import { isAlive } from "../state.ts";
import { sleep, statusOf } from "./common.ts";
import { sleepSync } from "../../sys/sleep.ts";
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
  const fifo = store.fifo(id);
  // Non-blocking, so that a dead init cannot hang us: poll until the init's byte arrives.
  const fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const buf = Buffer.alloc(1);
    const readByte = (): boolean => {
      try {
        return readSync(fd, buf, 0, 1, null) === 1;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e;
        return false;
      }
    };
    trace("start: fifo opened");
    await awaitRelease(readByte, () => isAlive(s), id);
    trace("start: released");
  } finally {
    closeSync(fd);
  }
  try {
    unlinkSync(fifo);
  } catch {
    /* gone already */
  }
  if (hooks.poststart?.length) {
    try {
      await runHooks("poststart", hooks.poststart, stateJson(s, "running"));
    } catch (e) {
      warn((e as Error).message);
    }
  }
}

/** Wait for the init's byte on the exec fifo. A short-lived program can be released, run and
 *  exit between two reads: it is gone, but its byte is in the fifo. Only an empty fifo after
 *  the init died means it died before start. */
export async function awaitRelease(readByte: () => boolean, alive: () => boolean, id: string): Promise<void> {
  for (let i = 0; ; i++) {
    if (readByte()) return;
    if (!alive()) {
      if (readByte()) return;
      throw new Error(`container ${id} exited before it could be started`);
    }
    if (i > 10_000) throw new Error(`container ${id} did not respond on its exec fifo`);
    // the byte is usually a fraction of a millisecond away: wait for it without the event loop
    if (i < 200) sleepSync(0.05);
    else await sleep(1);
  }
}
