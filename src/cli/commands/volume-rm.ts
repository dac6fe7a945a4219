// berth volume rm [OPTIONS] VOLUME [VOLUME...]
// As Docker: -f only makes a missing volume a success; a volume in use is still refused.
import { bool, parseFlags, UsageError } from "../flags.ts";
import { NoSuchVolumeError, removeVolume } from "../../engine/volumes/index.ts";
import { errMsg } from "./image-util.ts";
import { writeStdout, writeStderr } from "../../sys/io.ts";

export default async function volumeRm(argv: string[]): Promise<number> {
  const p = parseFlags(argv, [{ name: "force", short: "f", kind: "bool" }]);
  if (p.args.length === 0) throw new UsageError('"volume rm" requires at least 1 argument.');
  let code = 0;
  for (const name of p.args) {
    try {
      removeVolume(name);
      writeStdout(`${name}\n`);
    } catch (e) {
      if (e instanceof NoSuchVolumeError && bool(p, "force")) {
        writeStdout(`${name}\n`);
        continue;
      }
      writeStderr(`Error response from daemon: ${errMsg(e)}\n`);
      code = 1;
    }
  }
  return code;
}
