import { parseFlags, oneId } from "../flags.ts";
import type { RuntimeCtx } from "../runtime.ts";
import { resumeContainer } from "../../runtime/ops/pause.ts";

export default async function resume(ctx: RuntimeCtx): Promise<number> {
  resumeContainer(ctx.store, oneId(parseFlags(ctx.args, []).args, "resume"));
  return 0;
}
