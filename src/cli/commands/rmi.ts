// berth rmi [OPTIONS] IMAGE [IMAGE...]   (also: image rm)
import { bool, parseFlags, UsageError } from "../flags.ts";
import { removeImage } from "../../image/index.ts";
import { errMsg } from "./image-util.ts";
import { writeStdout, writeStderr } from "../../sys/io.ts";

export default async function rmi(argv: string[]): Promise<number> {
  const p = parseFlags(argv, [
    { name: "force", short: "f", kind: "bool" },
    { name: "no-prune", kind: "bool" },
  ]);
  if (p.args.length === 0) throw new UsageError('"rmi" requires at least 1 argument.');
  let code = 0;
  for (const name of p.args) {
    try {
      const r = await removeImage(name, { force: bool(p, "force"), prune: !bool(p, "no-prune") });
      for (const u of r.untagged) writeStdout(`Untagged: ${u}\n`);
      for (const d of r.deleted) writeStdout(`Deleted: ${d}\n`);
    } catch (e) {
      writeStderr(`Error response from daemon: ${errMsg(e)}\n`);
      code = 1;
    }
  }
  return code;
}
