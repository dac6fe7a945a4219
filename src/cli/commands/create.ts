// berth create: a container from an image, not started (Docker's "Created"); prints its id.
import { bool, parseFlags, UsageError } from "../flags.ts";
import { createContainer } from "../../engine/ops/create.ts";
import { CONTAINER_FLAGS, containerOptions } from "./container-flags.ts";
import { out, runError } from "./container-util.ts";
import { dryRun } from "./container-dry-run.ts";

export default async function create(args: string[]): Promise<number> {
  try {
    const p = parseFlags(args, CONTAINER_FLAGS, false);
    const [image, ...cmd] = p.args;
    if (!image) throw new UsageError("'berth create' requires at least 1 argument.\n\nUsage:  berth create [OPTIONS] IMAGE [COMMAND] [ARG...]");
    if (bool(p, "detach")) throw new UsageError("unknown shorthand flag: 'd' in -d");
    const o = containerOptions(p, image, cmd);
    if (bool(p, "dry-run")) return await dryRun(o);
    const rec = await createContainer(o);
    out(1, `${rec.id}\n`);
    return 0;
  } catch (e) {
    return runError(e, "create");
  }
}
