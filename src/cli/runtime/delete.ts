import { parseFlags, bool, oneId } from "../flags.ts";
import type { RuntimeCtx } from "../runtime.ts";
import { deleteQuick } from "../../runtime/ops/delete-quick.ts";

export default async function del(ctx: RuntimeCtx): Promise<number> {
  const p = parseFlags(ctx.args, [{ name: "force", short: "f", kind: "bool" }]);
  const id = oneId(p.args, "delete");
  // a stopped container, the usual case: without node:fs
  if (deleteQuick(ctx.root, id)) return 0;
  const { deleteContainer } = await import("../../runtime/ops/delete.ts");
  const { NotFoundError } = await import("../../runtime/state.ts");
  try {
    await deleteContainer(ctx.store, id, bool(p, "force"));
  } catch (e) {
    // runc: deleting a missing container with --force succeeds
    if (e instanceof NotFoundError && bool(p, "force")) return 0;
    throw e;
  }
  return 0;
}
