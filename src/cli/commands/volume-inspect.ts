// berth volume inspect [OPTIONS] VOLUME [VOLUME...]
import { parseFlags, str, UsageError } from "../flags.ts";
import { getVolume, NoSuchVolumeError } from "../../engine/volumes/index.ts";
import { errMsg, renderTemplate } from "./image-util.ts";
import { inspectVolume } from "./volume-util.ts";
import { writeStdout, writeStderr } from "../../sys/io.ts";

export default async function volumeInspect(argv: string[]): Promise<number> {
  const p = parseFlags(argv, [{ name: "format", short: "f", kind: "string" }]);
  if (p.args.length === 0) throw new UsageError('"volume inspect" requires at least 1 argument.');
  const docs: Record<string, unknown>[] = [];
  let code = 0;
  for (const name of p.args) {
    try {
      docs.push(inspectVolume(getVolume(name)));
    } catch (e) {
      writeStderr(e instanceof NoSuchVolumeError ? `Error: No such volume: ${name}\n` : `Error: ${errMsg(e)}\n`);
      code = 1;
    }
  }
  const fmt = str(p, "format");
  if (fmt && fmt !== "json") for (const d of docs) writeStdout(renderTemplate(fmt, d) + "\n");
  else writeStdout(JSON.stringify(docs, null, 4) + "\n");
  return code;
}
