// cgroupsPath semantics of runc's cgroupfs driver:
//   absolute  -> relative to each hierarchy's root
//   relative  -> relative to the calling process's own cgroup in that hierarchy (/proc/self/cgroup)
//   empty     -> /berth/<id>

export const BERTH_PARENT = "/berth";

/** Whether the container's cgroup sits in berth's own /berth parent (the default, or the engine's
 *  explicit `/berth/<id>`): that parent is berth's to remove once its last container is gone. */
export function inBerthParent(cgroupsPath: string | undefined, id: string): boolean {
  return !cgroupsPath || cgroupsPath === `${BERTH_PARENT}/${id}`;
}

/** /proc/self/cgroup -> controller (or "name=systemd", or "" for the v2 line "0::") -> path */
export function parseProcCgroup(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (!line) continue;
    const a = line.indexOf(":");
    const b = line.indexOf(":", a + 1);
    if (a < 0 || b < 0) continue;
    const ctrls = line.slice(a + 1, b);
    const path = line.slice(b + 1);
    if (ctrls === "") out.set("", path);
    else for (const c of ctrls.split(",")) out.set(c, path);
  }
  return out;
}

export function readSelfCgroup(): string {
  // node:fs on first use: delete's quick path imports this module for inBerthParent alone
  return (require("node:fs") as typeof import("node:fs")).readFileSync("/proc/self/cgroup", "utf8");
}

/** Throws on ".." components or a systemd-style "slice:prefix:name" path (no systemd driver). */
export function checkCgroupsPath(cgroupsPath: string): void {
  if (cgroupsPath.split("/").some((c) => c === ".."))
    throw new Error(`linux.cgroupsPath: ${JSON.stringify(cgroupsPath)} must not contain ".." components`);
  if (!cgroupsPath.includes("/") && cgroupsPath.split(":").length === 3)
    throw new Error(`linux.cgroupsPath: ${JSON.stringify(cgroupsPath)} looks like a systemd slice path; berth only has the cgroupfs driver`);
  if (cgroupsPath.includes("\0")) throw new Error(`linux.cgroupsPath: contains a NUL byte`);
}

/** The container's path inside one hierarchy, always absolute ("/a/b") and normalised. */
export function resolveCgroupPath(cgroupsPath: string | undefined, id: string, ownCgroup: string | undefined): string {
  let p: string;
  if (!cgroupsPath) {
    if (!id || id.includes("/") || id === "." || id === "..") throw new Error(`invalid container id for a cgroup name: ${JSON.stringify(id)}`);
    p = `${BERTH_PARENT}/${id}`;
  } else {
    checkCgroupsPath(cgroupsPath);
    p = cgroupsPath.startsWith("/") ? cgroupsPath : `${ownCgroup ?? "/"}/${cgroupsPath}`;
  }
  const parts = p.split("/").filter((c) => c !== "" && c !== ".");
  if (parts.length === 0) throw new Error(`linux.cgroupsPath: ${JSON.stringify(cgroupsPath)} resolves to the hierarchy root`);
  return "/" + parts.join("/");
}
