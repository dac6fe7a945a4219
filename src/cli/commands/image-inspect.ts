// berth image inspect [OPTIONS] IMAGE [IMAGE...]
import { parseFlags, str, UsageError } from "../flags.ts";
import { imageConfig, resolveImage } from "../../image/index.ts";
import { errMsg, inspectImage, renderTemplate } from "./image-util.ts";
import { writeStdout, writeStderr } from "../../sys/io.ts";

export default async function imageInspect(argv: string[]): Promise<number> {
  const p = parseFlags(argv, [
    { name: "format", short: "f", kind: "string" },
    { name: "platform", kind: "string" },
  ]);
  if (p.args.length === 0) throw new UsageError('"image inspect" requires at least 1 argument.');
  const docs: Record<string, unknown>[] = [];
  let code = 0;
  for (const name of p.args) {
    try {
      const img = resolveImage(name);
      docs.push(inspectImage(img, imageConfig(img.id)));
    } catch (e) {
      writeStderr(`Error: ${errMsg(e)}\n`);
      code = 1;
    }
  }
  const fmt = str(p, "format");
  if (fmt && fmt !== "json") for (const d of docs) writeStdout(renderTemplate(fmt, d) + "\n");
  else writeStdout(JSON.stringify(docs, null, 4) + "\n");
  return code;
}
