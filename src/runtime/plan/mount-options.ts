// OCI mount options -> mount(2) flags, propagation and data, as runc interprets them.
import { MS } from "../linux.ts";

export interface MountOptions {
  flags: number;
  /** flags to clear (e.g. "rw", "suid"): only meaningful for remounts */
  clear: number;
  propagation: number[];
  bind: boolean;
  recursive: boolean;
  data: string[];
}

const SET: Record<string, number> = {
  ro: MS.RDONLY, nosuid: MS.NOSUID, nodev: MS.NODEV, noexec: MS.NOEXEC, sync: MS.SYNCHRONOUS,
  remount: MS.REMOUNT, mand: MS.MANDLOCK, dirsync: MS.DIRSYNC, noatime: MS.NOATIME,
  nodiratime: MS.NODIRATIME, relatime: MS.RELATIME, strictatime: MS.STRICTATIME, nosymfollow: MS.NOSYMFOLLOW,
};
const CLEAR: Record<string, number> = {
  rw: MS.RDONLY, suid: MS.NOSUID, dev: MS.NODEV, exec: MS.NOEXEC, async: MS.SYNCHRONOUS,
  nomand: MS.MANDLOCK, atime: MS.NOATIME, diratime: MS.NODIRATIME, norelatime: MS.RELATIME,
  nostrictatime: MS.STRICTATIME, symfollow: MS.NOSYMFOLLOW,
};
const PROPAGATION: Record<string, number> = {
  private: MS.PRIVATE, rprivate: MS.PRIVATE | MS.REC, shared: MS.SHARED, rshared: MS.SHARED | MS.REC,
  slave: MS.SLAVE, rslave: MS.SLAVE | MS.REC, unbindable: MS.UNBINDABLE, runbindable: MS.UNBINDABLE | MS.REC,
};

export function parseMountOptions(options: string[] = []): MountOptions {
  const o: MountOptions = { flags: 0, clear: 0, propagation: [], bind: false, recursive: false, data: [] };
  for (const opt of options) {
    if (opt === "bind") o.bind = true;
    else if (opt === "rbind") {
      o.bind = true;
      o.recursive = true;
    } else if (opt in SET) {
      o.flags |= SET[opt]!;
      o.clear &= ~SET[opt]!;
    } else if (opt in CLEAR) {
      o.flags &= ~CLEAR[opt]!;
      o.clear |= CLEAR[opt]!;
    } else if (opt in PROPAGATION) o.propagation.push(PROPAGATION[opt]!);
    else if (opt === "defaults") continue;
    else o.data.push(opt);
  }
  return o;
}

export function propagationFlag(name: string | undefined): number | undefined {
  return name ? PROPAGATION[name] : undefined;
}

export function describeFlags(flags: number): string {
  const names: string[] = [];
  for (const [k, v] of Object.entries({ ...SET, bind: MS.BIND, rec: MS.REC, move: MS.MOVE, private: MS.PRIVATE, slave: MS.SLAVE, shared: MS.SHARED, unbindable: MS.UNBINDABLE }))
    if (flags & v) names.push(k);
  return names.join(",");
}
