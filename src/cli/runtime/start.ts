import { parseFlags, oneId } from "../flags.ts";
import type { RuntimeCtx } from "../runtime.ts";
import { startQuick } from "../../runtime/ops/start-quick.ts";

export default async function start(ctx: RuntimeCtx): Promise<number> {
  const p = parseFlags(ctx.args, []);
  const id = oneId(p.args, "start");
  if (startQuick(ctx.root, id)) return 0;
  // hooks, errors, no Bun: the full start (which loads node:fs)
  const { startContainer } = await import("../../runtime/ops/start.ts");
  await startContainer(ctx.store, id);
  return 0;
}
