// berth load [OPTIONS]   (also: image load)
import { bool, parseFlags, str, UsageError } from "../flags.ts";
import { loadImages } from "../../image/index.ts";
import { fail, familiarTag, inputChunks } from "./image-util.ts";
import { writeStdout, writeStderr } from "../../sys/io.ts";

export default async function load(argv: string[]): Promise<number> {
  const p = parseFlags(argv, [
    { name: "input", short: "i", kind: "string" },
    { name: "quiet", short: "q", kind: "bool" },
    { name: "platform", kind: "string" },
  ]);
  if (p.args.length > 0) throw new UsageError('"load" accepts no arguments.');
  const input = str(p, "input");
  if (!input && process.stdin.isTTY) {
    writeStderr("requested load from stdin, but stdin is empty\n");
    return 1;
  }
  try {
    const r = await loadImages(inputChunks(input), (d) => {
      if (!bool(p, "quiet")) writeStdout(`Loading layer ${d.slice(7, 19)}\n`);
    });
    for (const i of r.images) {
      if (i.tags.length === 0) writeStdout(`Loaded image ID: ${i.id}\n`);
      for (const t of i.tags) writeStdout(`Loaded image: ${familiarTag(t)}\n`);
    }
    return 0;
  } catch (e) {
    return fail(e);
  }
}
