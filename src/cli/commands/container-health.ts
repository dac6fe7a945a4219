// Hidden: `berth __container-health ID`, run by the monitor on the health-check interval.
import { runHealthCheck } from "../../engine/health.ts";
import { moveToRootCgroup } from "../../engine/runtime.ts";

export default async function health(args: string[]): Promise<number> {
  const id = args[0];
  if (!id) return 2;
  moveToRootCgroup(process.pid);
  return runHealthCheck(id);
}
