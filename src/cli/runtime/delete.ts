import { parseFlags, bool, oneId } from "../flags.ts";
import type { RuntimeCtx } from "../runtime.ts";
import { deleteContainer } from "../../runtime/ops/delete.ts";
import { NotFoundError } from "../../runtime/state.ts";

export default async function del(ctx: RuntimeCtx): Promise<number> {
  const p = parseFlags(ctx.args, [{ name: "force", short: "f", kind: "bool" }]);
  const id = oneId(p.args, "delete");
  try {
    await deleteContainer(ctx.store, id, bool(p, "force"));
  } catch (e) {
    // runc: deleting a missing container with --force succeeds
    if (e instanceof NotFoundError && bool(p, "force")) return 0;
    throw e;
  }
  return 0;
}
