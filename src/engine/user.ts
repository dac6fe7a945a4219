// -u / the image's User resolved the way Docker (runc's libcontainer/user) does: names through
// the image's /etc/passwd and /etc/group, found in the top-most layer that has them.
import { lstatSync, readFileSync } from "node:fs";
import { join } from "node:path";

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  home: string;
}

/** The file as the container will see it: top-most layer first; a whiteout hides it. */
function layerFile(layersTopFirst: string[], rel: string): string | undefined {
  for (const dir of layersTopFirst) {
    const p = join(dir, rel);
    try {
      const st = lstatSync(p);
      if (st.isCharacterDevice() && st.rdev === 0) return undefined; // overlay whiteout
      if (st.isFile()) return readFileSync(p, "utf8");
    } catch {
      /* not in this layer */
    }
  }
  return undefined;
}

function rows(text: string | undefined): string[][] {
  return (text ?? "").split("\n").filter((l) => l && !l.startsWith("#")).map((l) => l.split(":"));
}

export function resolveUser(spec: string, layersTopFirst: string[]): ResolvedUser {
  const [u = "", g] = spec === "" ? ["0"] : spec.split(":");
  const passwd = rows(layerFile(layersTopFirst, "etc/passwd"));
  const groups = rows(layerFile(layersTopFirst, "etc/group"));
  let uid: number;
  let gid = 0;
  let name = "";
  let home = "/";
  const pw = /^\d+$/.test(u) ? passwd.find((r) => r[2] === u) : passwd.find((r) => r[0] === u);
  if (/^\d+$/.test(u)) {
    uid = Number(u);
    if (pw) {
      gid = Number(pw[3]);
      name = pw[0]!;
      home = pw[5] || "/";
    }
  } else {
    if (!pw) throw new Error(`unable to find user ${u}: no matching entries in passwd file`);
    uid = Number(pw[2]);
    gid = Number(pw[3]);
    name = pw[0]!;
    home = pw[5] || "/";
  }
  if (g !== undefined && g !== "") {
    if (/^\d+$/.test(g)) gid = Number(g);
    else {
      const gr = groups.find((r) => r[0] === g);
      if (!gr) throw new Error(`unable to find group ${g}: no matching entries in group file`);
      gid = Number(gr[2]);
    }
  }
  // supplementary groups: those listing the user as a member (not with an explicit group)
  const additionalGids = g === undefined && name ? groups.filter((r) => (r[3] ?? "").split(",").includes(name)).map((r) => Number(r[2])).filter((x) => x !== gid) : [];
  return { uid, gid, additionalGids: [...new Set(additionalGids)], home };
}

/** Does `rel` exist (as anything but a whiteout) in the image's layers? */
export function existsInLayers(layersTopFirst: string[], rel: string): boolean {
  for (const dir of layersTopFirst) {
    try {
      const st = lstatSync(join(dir, rel));
      return !(st.isCharacterDevice() && st.rdev === 0);
    } catch {
      /* next layer */
    }
  }
  return false;
}
