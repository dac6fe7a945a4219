// Docker's directory.Size: the sum of the sizes of everything under a directory except
// directories, each inode counted once (hard links). Missing directories are 0.
import { lstatSync, readdirSync } from "node:fs";
import { join } from "node:path";

export function dirSize(dir: string): number {
  const seen = new Set<number>();
  let total = 0;
  const walk = (d: string): void => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(d, n);
      let st;
      try {
        st = lstatSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory()) {
        walk(p);
        continue;
      }
      if (st.size === 0 || seen.has(st.ino)) continue;
      seen.add(st.ino);
      total += st.size;
    }
  };
  walk(dir);
  return total;
}
