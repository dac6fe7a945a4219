// Whether a parsed state.json has what the runtime relies on. Free of node:fs, for delete's
// quick path (ops/delete-quick.ts), which reads the file without it.
import type { ContainerState } from "./state.ts";

/** The fields every command relies on, with their types (a file cut short or edited by hand). */
export function isState(v: unknown): v is ContainerState {
  if (typeof v !== "object" || v === null) return false;
  const s = v as Record<string, unknown>;
  return (
    typeof s.id === "string" &&
    Number.isInteger(s.pid) &&
    typeof s.startTime === "number" &&
    (s.phase === "creating" || s.phase === "created") &&
    Array.isArray(s.cgroupPaths) &&
    s.cgroupPaths.every((p) => typeof p === "string") &&
    typeof s.config === "object" &&
    s.config !== null &&
    typeof s.bundle === "string" &&
    typeof s.rootfs === "string"
  );
}
