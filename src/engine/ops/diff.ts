// diff: the container's writable layer against its image, as Docker prints it: A added,
// C changed (a file replaced, a directory whose contents or metadata changed, an opaque
// directory), D deleted (a whiteout). The stubs the runtime makes for mount points
// (/etc/hostname, /proc, volume targets...) are not the user's changes and are left out.
import { lstatSync, readdirSync } from "node:fs";
import { lgetxattr } from "../../sys/ffi.ts";
import { imageLayersTopFirst, mountTargets, upperDir } from "../fs/container.ts";
import { isWhiteout, LayeredFs } from "../fs/view.ts";
import { loadRecord } from "../store.ts";

export type ChangeKind = "A" | "C" | "D";
export interface Change {
  kind: ChangeKind;
  /** absolute container path */
  path: string;
}

export function containerChanges(id: string): Change[] {
  const rec = loadRecord(id);
  const lowers = imageLayersTopFirst(rec);
  const lower = lowers.length ? new LayeredFs(lowers, `image ${rec.imageName}`) : undefined;
  const stubs = new Set(mountTargets(rec));
  const under = (rel: string) => [...stubs].some((m) => rel === m || rel.startsWith(`${m}/`));
  const out: (Change & { dir: boolean; metaSame: boolean })[] = [];
  const walk = (abs: string, rel: string, lowerVisible: boolean) => {
    let names: string[];
    try {
      names = readdirSync(abs);
    } catch {
      return;
    }
    for (const n of names) {
      const r = rel ? `${rel}/${n}` : n;
      const p = `${abs}/${n}`;
      const st = lstatSync(p);
      if (under(r)) continue;
      if (isWhiteout(st)) {
        out.push({ kind: "D", path: `/${r}`, dir: false, metaSame: false });
        continue;
      }
      const low = lowerVisible ? lower?.lstat(r) : undefined;
      const opaque = st.isDirectory() && lgetxattr(p, "trusted.overlay.opaque")?.toString() === "y";
      const metaSame = !!low && low.isDirectory() && st.isDirectory() && !opaque && low.mode === st.mode && low.uid === st.uid && low.gid === st.gid;
      out.push({ kind: low ? "C" : "A", path: `/${r}`, dir: st.isDirectory(), metaSame });
      if (st.isDirectory()) walk(p, r, lowerVisible && !!low?.isDirectory() && !opaque);
    }
  };
  walk(upperDir(id), "", true);
  // a directory only copied up to hold a mount stub is no change
  const keep = out.filter((c) => !(c.kind === "C" && c.dir && c.metaSame && !out.some((d) => d.path.startsWith(`${c.path}/`))));
  return keep.map(({ kind, path }) => ({ kind, path })).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
