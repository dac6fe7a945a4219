import { parseFlags, oneId } from "../flags.ts";
import type { RuntimeCtx } from "../runtime.ts";
import { statusOf } from "../../runtime/ops/common.ts";
import { writeStdout } from "../../sys/io.ts";

export default async function state(ctx: RuntimeCtx): Promise<number> {
  const p = parseFlags(ctx.args, []);
  const s = ctx.store.load(oneId(p.args, "state"));
  const status = statusOf(s, ctx.store);
  const out = {
    ociVersion: s.ociVersion,
    id: s.id,
    pid: status === "stopped" ? 0 : s.pid,
    status: status === "creating" ? "creating" : status,
    bundle: s.bundle,
    rootfs: s.rootfs,
    created: s.created,
    owner: s.owner,
    annotations: s.annotations ?? {},
  };
  writeStdout(`${JSON.stringify(out, null, 2)}\n`);
  return 0;
}
