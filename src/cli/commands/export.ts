// berth export [-o FILE] CONTAINER: the container's filesystem as a tar (stdout or FILE).
import { closeSync, openSync, renameSync, rmSync } from "node:fs";
import { parseFlags, str, UsageError } from "../flags.ts";
import { exportContainer } from "../../engine/ops/export.ts";
import { daemonError, out, resolveId } from "./container-util.ts";
import { writeSync } from "node:fs";

function writeAll(fd: number, b: Uint8Array): void {
  let off = 0;
  while (off < b.length) off += writeSync(fd, b, off, b.length - off);
}

export default async function exportCmd(args: string[]): Promise<number> {
  try {
    const p = parseFlags(args, [{ name: "output", short: "o", kind: "string" }]);
    if (p.args.length !== 1) throw new UsageError('"berth export" requires exactly 1 argument.\n\nUsage:  berth export [OPTIONS] CONTAINER');
    const id = resolveId(p.args[0]!);
    const file = str(p, "output");
    if (!file) {
      if (process.stdout.isTTY) throw new Error("cowardly refusing to save to a terminal. Use the -o flag or redirect");
      exportContainer(id, (b) => out(1, b));
      return 0;
    }
    const tmp = `${file}.berth-tmp-${process.pid}`;
    const fd = openSync(tmp, "w", 0o644);
    try {
      exportContainer(id, (b) => writeAll(fd, b));
      closeSync(fd);
      renameSync(tmp, file);
    } catch (e) {
      closeSync(fd);
      rmSync(tmp, { force: true });
      throw e;
    }
    return 0;
  } catch (e) {
    return daemonError(e);
  }
}
