// berth save [OPTIONS] IMAGE [IMAGE...]   (also: image save)
import { closeSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { parseFlags, str, UsageError } from "../flags.ts";
import { saveImages } from "../../image/index.ts";
import { fail } from "./image-util.ts";
import { writeStderr } from "../../sys/io.ts";

export default async function save(argv: string[]): Promise<number> {
  const p = parseFlags(argv, [
    { name: "output", short: "o", kind: "string" },
    { name: "platform", kind: "string" },
  ]);
  if (p.args.length === 0) throw new UsageError('"save" requires at least 1 argument.');
  const outPath = str(p, "output");
  if (!outPath && process.stdout.isTTY) {
    writeStderr("cowardly refusing to save to a terminal. Use the -o flag or redirect\n");
    return 1;
  }
  const tmp = outPath ? `${outPath}.berth-tmp-${process.pid}` : undefined;
  const fd = tmp ? openSync(tmp, "w", 0o644) : 1;
  try {
    for (const chunk of saveImages(p.args)) {
      let off = 0;
      while (off < chunk.length) {
        try {
          off += writeSync(fd, chunk, off, chunk.length - off);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e;
          await new Promise((r) => setTimeout(r, 5));
        }
      }
    }
    if (tmp) {
      closeSync(fd);
      renameSync(tmp, outPath!);
    }
    return 0;
  } catch (e) {
    if (tmp) {
      try {
        closeSync(fd);
      } catch {
        // closed
      }
      rmSync(tmp, { force: true });
    }
    return fail(e);
  }
}
