// The kernel's release and this UTS namespace's hostname, from /proc: what node:os's release()
// and hostname() return, without loading node:os (~0.2 ms of a command's start-up here).
import { readFileSync } from "node:fs";

function procValue(name: string): string {
  try {
    return readFileSync(`/proc/sys/kernel/${name}`, "utf8").trim();
  } catch {
    return "";
  }
}

let release: string | undefined;
/** e.g. "6.18.4"; "" when /proc is not mounted */
export const kernelRelease = (): string => (release ??= procValue("osrelease"));

export const hostName = (): string => procValue("hostname");
