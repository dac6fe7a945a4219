// Hidden: `berth __container-exited ID`, the monitor's exit command (the same pid as the
// monitor, which is how the record tells the legitimate handler from a stale one).
import { handleExit } from "../../engine/ops/exit.ts";
import { moveToRootCgroup } from "../../engine/runtime.ts";

export default async function exited(args: string[]): Promise<number> {
  const id = args[0];
  if (!id) return 2;
  moveToRootCgroup(process.pid);
  try {
    await handleExit(id, process.pid);
  } catch (e) {
    if (process.env.BERTH_DEBUG) process.stderr.write(`berth: exit of ${id}: ${(e as Error).message}\n`);
    return 1;
  }
  return 0;
}

