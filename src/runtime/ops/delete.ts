// delete: remove a stopped container's cgroup and state; with force, kill it first.
// Works on half-created containers too (a create that was killed midway).
import type { StateStore, Status } from "../state.ts";
import { isAlive, NotFoundError, type ContainerState } from "../state.ts";
import { realFs } from "../cgroups/fs.ts";
import { removeRecordedCgroups } from "../cgroups/remove.ts";
import { inBerthParent } from "../cgroups/path.ts";
import { managerFor, sleep, statusOf } from "./common.ts";
import { sleepSync } from "../../sys/sleep.ts";
import { runHooks, stateJson, warn } from "./hooks.ts";
import { trace } from "../../sys/trace.ts";

export async function deleteContainer(store: StateStore, id: string, force = false): Promise<void> {
  let s;
  try {
    s = store.load(id);
  } catch (e) {
    // a directory without state.json: a create that died before its first save
    if (e instanceof NotFoundError && store.exists(id)) {
      store.remove(id);
      return;
    }
    if (!(e instanceof NotFoundError) && force) {
      store.remove(id);
      return;
    }
    throw e;
  }
  const status = statusOf(s, store);
  trace(`delete: status ${status}`);
  // the usual case, a stopped container whose processes are all gone: rmdir what create made,
  // without loading the cgroup manager
  const quick = status === "stopped" && !s.noCgroup && s.cgroupPaths.length > 0 && removeRecordedCgroups(realFs, s.cgroupPaths, inBerthParent(s.cgroupsPath, s.id));
  if (!quick) await stopAndDestroyCgroup(s, status, force);
  trace("delete: cgroup removed");
  detachHostMounts(s);
  store.remove(id);
  trace("delete: state removed");
  if (s.config.hooks?.poststop?.length) {
    try {
      await runHooks("poststop", s.config.hooks.poststop, stateJson(s, "stopped"));
    } catch (e) {
      warn((e as Error).message);
    }
  }
}

/** Kill what runs (a created or running container's init, or what a stopped init left behind),
 *  then remove the cgroup through its manager. */
async function stopAndDestroyCgroup(s: ContainerState, status: Status, force: boolean): Promise<void> {
  const id = s.id;
  if (status !== "stopped" && !force && status !== "created") throw new Error(`cannot delete container ${id} that is ${status}: stop it first or use --force`);
  const cg = managerFor(s);
  if (status !== "stopped") {
    // a paused container must be thawed for SIGKILL to take effect
    try {
      if (cg.frozen()) cg.thaw();
    } catch {
      /* no freezer */
    }
    try {
      process.kill(s.pid, "SIGKILL");
    } catch {
      /* gone already */
    }
    try {
      cg.killAll(9);
    } catch {
      /* the cgroup may be gone */
    }
    for (let i = 0; i < 2000 && isAlive(s); i++) {
      if (i < 100) sleepSync(0.1);
      else await sleep(1);
    }
  } else {
    // stopped: kill whatever the init left behind in its cgroup
    try {
      if (cg.exists() && cg.pids().length) cg.killAll(9);
    } catch {
      /* nothing left */
    }
  }
  trace("delete: processes gone");
  cg.destroy();
}

/** A container without a mount namespace of its own made its mounts in the host's, all under a
 *  bind of its rootfs: detach that tree. */
export function detachHostMounts(s: ContainerState): void {
  if ((s.config.linux?.namespaces ?? []).some((n) => n.type === "mount")) return;
  const { umountDetach } = require("../../sys/ffi.ts") as typeof import("../../sys/ffi.ts");
  for (let i = 0; i < 8 && umountDetach(s.rootfs); i++);
}
