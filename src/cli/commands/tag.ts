// berth tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]
import { parseFlags, UsageError } from "../flags.ts";
import { tagImage } from "../../image/index.ts";
import { fail } from "./image-util.ts";

export default async function tag(argv: string[]): Promise<number> {
  const p = parseFlags(argv, []);
  if (p.args.length !== 2) throw new UsageError('"tag" requires exactly 2 arguments.');
  try {
    await tagImage(p.args[0]!, p.args[1]!);
    return 0;
  } catch (e) {
    return fail(e);
  }
}
