// berth commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]: a new image from a container's changes.
import { list, parseFlags, str, UsageError } from "../flags.ts";
import { commitContainer } from "../../engine/ops/commit.ts";
import { daemonError, out, resolveId } from "./container-util.ts";

export default async function commitCmd(args: string[]): Promise<number> {
  try {
    const p = parseFlags(args, [
      { name: "author", short: "a", kind: "string" },
      { name: "message", short: "m", kind: "string" },
      { name: "change", short: "c", kind: "list" },
      { name: "pause", short: "p", kind: "bool" },
    ]);
    if (p.args.length < 1 || p.args.length > 2) throw new UsageError('"berth commit" requires at least 1 and at most 2 arguments.\n\nUsage:  berth commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]');
    const img = await commitContainer(resolveId(p.args[0]!), {
      ...(p.args[1] ? { reference: p.args[1] } : {}),
      ...(str(p, "author") !== undefined ? { author: str(p, "author") } : {}),
      ...(str(p, "message") !== undefined ? { message: str(p, "message") } : {}),
      changes: list(p, "change"),
      pause: p.flags.get("pause") !== false,
    });
    out(1, `${img.id}\n`);
    return 0;
  } catch (e) {
    return daemonError(e);
  }
}
