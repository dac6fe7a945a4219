// berth import [OPTIONS] file|URL|- [REPOSITORY[:TAG]]   (also: image import)
import { list, parseFlags, str, UsageError } from "../flags.ts";
import { importImage, type ImportOptions } from "../../image/index.ts";
import { fail, inputChunks } from "./image-util.ts";
import { writeStdout, writeStderr } from "../../sys/io.ts";

export default async function importCmd(argv: string[]): Promise<number> {
  const p = parseFlags(argv, [
    { name: "change", short: "c", kind: "list" },
    { name: "message", short: "m", kind: "string" },
    { name: "platform", kind: "string" },
  ]);
  if (p.args.length < 1 || p.args.length > 2) throw new UsageError('"import" requires at least 1 and at most 2 arguments.');
  const src = p.args[0]!;
  if (/^https?:\/\//.test(src)) {
    writeStderr("berth import: importing from a URL is not supported; download the file first\n");
    return 1;
  }
  const opts: ImportOptions = { changes: list(p, "change"), source: src };
  const msg = str(p, "message");
  if (msg !== undefined) opts.message = msg;
  if (p.args[1]) opts.reference = p.args[1];
  try {
    const rec = await importImage(inputChunks(src), opts);
    writeStdout(`${rec.id}\n`);
    return 0;
  } catch (e) {
    return fail(e);
  }
}
