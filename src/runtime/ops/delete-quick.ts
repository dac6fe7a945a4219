// delete, the common case, without node:fs: a stopped container (its init gone) that has its own
// mount namespace, cgroups berth made and no poststop hooks loses its cgroup directories and its
// state through sys/ffi.ts's rmdir and unlink. Loading node:fs is ~1 ms of a compiled `delete`.
// Anything else (no Bun, a live or half-created container, processes left in the cgroup, hooks,
// an unexpected error) goes to deleteContainer (delete.ts), which handles what this left: a
// missing cgroup directory is fine there, and so is a state directory without state.json.
import { CgroupError } from "../cgroups/error.ts";
import { inBerthParent } from "../cgroups/path.ts";
import { removeRecordedCgroups } from "../cgroups/remove.ts";
import { isState } from "../state-shape.ts";
import { trace } from "../../sys/trace.ts";
import { initAlive, loadFfi, mapState, type Ffi } from "./quick-state.ts";

/** Delete a stopped container; false: not done here (the full delete goes on from what is left). */
export function deleteQuick(root: string, id: string): boolean {
  const s = mapState(root, id);
  if (!isState(s) || s.id !== id || s.phase !== "created" || s.noCgroup || s.cgroupPaths.length === 0) return false;
  if (s.config.hooks?.poststop?.length || !(s.config.linux?.namespaces ?? []).some((n) => n.type === "mount")) return false;
  const ffi = loadFfi(["open", "read", "close", "rmdir", "unlink", "__errno_location"]);
  if (initAlive(ffi, s.pid, s.startTime)) return false;
  trace("delete: stopped (quick)");
  try {
    if (!removeRecordedCgroups(cgroupRmdir(ffi), s.cgroupPaths, inBerthParent(s.cgroupsPath, s.id))) return false;
    trace("delete: cgroup removed (quick)");
    const dir = `${root}/${id}`;
    ffi.unlinkPath(`${dir}/state.json`);
    // usually empty now; an exec.fifo left by an init that died before start: the full path
    ffi.rmdirPath(dir);
  } catch {
    return false;
  }
  trace("delete: state removed (quick)");
  return true;
}

/** rmdir with the cgroup layer's errors (the code is what removeRecordedCgroups decides on). */
function cgroupRmdir(ffi: Ffi): { rmdir(path: string): void } {
  return {
    rmdir(path: string): void {
      try {
        ffi.rmdirPath(path);
      } catch (e) {
        throw new CgroupError("rmdir", path, e instanceof ffi.SysError ? e.code : "EIO");
      }
    },
  };
}
