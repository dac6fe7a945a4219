// The error every cgroup operation throws: the operation, the path and the errno code. Free of
// node:fs, like remove.ts, for delete's quick path (ops/delete-quick.ts).
export const DESCRIPTIONS: Record<string, string> = {
  EINVAL: "invalid argument", ENOENT: "no such file or directory", EBUSY: "device or resource busy",
  EEXIST: "file exists", EACCES: "permission denied", EPERM: "operation not permitted",
  ENOTEMPTY: "directory not empty", EOPNOTSUPP: "operation not supported", ENOSPC: "no space left on device",
  EAGAIN: "resource temporarily unavailable", EROFS: "read-only file system", ENODEV: "no such device",
  ENOTDIR: "not a directory", ESRCH: "no such process", ERANGE: "result too large",
};

export class CgroupError extends Error {
  constructor(readonly op: string, readonly path: string, readonly code: string, description?: string) {
    super(`${op} ${path}: ${code} (${description ?? DESCRIPTIONS[code] ?? "error"})`);
    this.name = "CgroupError";
  }
}

