import { parseFlags, oneId } from "../flags.ts";
import type { RuntimeCtx } from "../runtime.ts";
import { startContainer } from "../../runtime/ops/start.ts";

export default async function start(ctx: RuntimeCtx): Promise<number> {
  const p = parseFlags(ctx.args, []);
  await startContainer(ctx.store, oneId(p.args, "start"));
  return 0;
}
