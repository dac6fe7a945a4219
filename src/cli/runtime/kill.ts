import { parseFlags, bool, UsageError } from "../flags.ts";
import type { RuntimeCtx } from "../runtime.ts";
import { killContainer } from "../../runtime/ops/kill.ts";
import { parseSignal } from "../../runtime/linux.ts";

export default async function kill(ctx: RuntimeCtx): Promise<number> {
  const p = parseFlags(ctx.args, [{ name: "all", short: "a", kind: "bool" }]);
  const [id, sigText = "SIGTERM"] = p.args;
  if (!id || p.args.length > 2) throw new UsageError(`"kill" requires a container id and an optional signal`);
  const sig = parseSignal(sigText);
  if (sig === undefined) throw new UsageError(`unknown signal "${sigText}"`);
  killContainer(ctx.store, id, sig, bool(p, "all"));
  return 0;
}
