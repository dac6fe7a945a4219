import { parseFlags } from "../flags.ts";
import type { RuntimeCtx } from "../runtime.ts";
import { startContainer } from "../../runtime/ops/start.ts";
import { oneId } from "./create.ts";

export default async function start(ctx: RuntimeCtx): Promise<number> {
  const p = parseFlags(ctx.args, []);
  await startContainer(ctx.store, oneId(p.args, "start"));
  return 0;
}
