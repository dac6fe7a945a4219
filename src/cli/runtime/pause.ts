import { parseFlags, oneId } from "../flags.ts";
import type { RuntimeCtx } from "../runtime.ts";
import { pauseContainer } from "../../runtime/ops/pause.ts";

export default async function pause(ctx: RuntimeCtx): Promise<number> {
  pauseContainer(ctx.store, oneId(parseFlags(ctx.args, []).args, "pause"));
  return 0;
}
