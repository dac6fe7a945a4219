// Removing a container's directory in two steps: a rename makes it vanish at once (its record is
// inside it), the files go later. An attached `run --rm` returns after the rename; the monitor's
// exit command, which runs after every exit anyway, sweeps the trash (as do `rm` and `prune`),
// so the client does not wait for ext4 to unlink a dozen files (~2.5 ms here).
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { berthRoot } from "../sys/paths.ts";
import { randomHex } from "../sys/random.ts";

export const trashDir = (): string => join(berthRoot(), "trash");

/** Move `dir` into the trash (same filesystem: berth's root); false when it is not there. */
export function moveToTrash(dir: string, id: string): boolean {
  const to = join(trashDir(), `${id}-${randomHex(4)}`);
  try {
    renameSync(dir, to);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    if (!existsSync(dir)) return false;
  }
  // the trash itself is missing (first use)
  mkdirSync(trashDir(), { recursive: true, mode: 0o700 });
  try {
    renameSync(dir, to);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw e;
  }
}

/** Delete whatever is in the trash. Best effort: a failure leaves it for the next sweep. */
export function sweepTrash(): void {
  let names: string[];
  try {
    names = readdirSync(trashDir());
  } catch {
    return;
  }
  for (const n of names) {
    try {
      rmSync(join(trashDir(), n), { recursive: true, force: true });
    } catch {
      /* next time */
    }
  }
}
