// run = create + start. Without --detach, berth-runtime stays until the container exits,
// forwards signals to it and exits with its status; then the container is deleted.
import { parseFlags, bool, oneId } from "../flags.ts";
import type { RuntimeCtx } from "../runtime.ts";
import { warmCgroupAttach } from "../../runtime/cgroups/warm.ts";
import { createContainer, needsStart } from "../../runtime/ops/create.ts";
import { startContainer } from "../../runtime/ops/start.ts";
import { deleteContainer } from "../../runtime/ops/delete.ts";
import { CREATE_FLAGS, createOptions } from "./create.ts";
import { trace } from "../../sys/trace.ts";
import { FORWARDED_SIGNALS } from "../../runtime/linux.ts";


export default async function run(ctx: RuntimeCtx): Promise<number> {
  // the kernel's first cgroup migration waits for an RCU grace period: start it now, in the background
  warmCgroupAttach();
  const p = parseFlags(ctx.args, CREATE_FLAGS);
  const id = oneId(p.args, "run");
  const detach = bool(p, "detach");
  const common = createOptions(p, id);
  if (detach) {
    await createContainer(ctx.store, common);
    await startContainer(ctx.store, id);
    return 0;
  }
  const { helper, state } = await createContainer(ctx.store, { ...common, foreground: true });
  if (needsStart(state.config)) await startContainer(ctx.store, id);
  for (const sig of FORWARDED_SIGNALS) process.on(sig, () => helper.child.kill(sig));
  const code = await helper.exit;
  trace("run: container exited");
  if (!bool(p, "keep")) await deleteContainer(ctx.store, id, true);
  trace("run: deleted");
  return code;
}
