// berth diff CONTAINER: A/C/D lines for the container's writable layer against its image.
import { parseFlags, UsageError } from "../flags.ts";
import { containerChanges } from "../../engine/ops/diff.ts";
import { daemonError, out, resolveId } from "./container-util.ts";

export default async function diffCmd(args: string[]): Promise<number> {
  try {
    const p = parseFlags(args, []);
    if (p.args.length !== 1) throw new UsageError('"berth diff" requires exactly 1 argument.\n\nUsage:  berth diff CONTAINER');
    const changes = containerChanges(resolveId(p.args[0]!));
    out(1, changes.map((c) => `${c.kind} ${c.path}\n`).join(""));
    return 0;
  } catch (e) {
    return daemonError(e);
  }
}
