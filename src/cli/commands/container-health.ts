// Hidden: `berth __container-health ID`, run by the monitor on the health-check interval.
import { runHealthCheck } from "../../engine/health.ts";
import { leaveContainerCgroup } from "../../engine/runtime.ts";

export default async function health(args: string[]): Promise<number> {
  const id = args[0];
  if (!id) return 2;
  // a no-op with a current monitor (it left the container cgroup); 9 cgroup writes were paid on every check before
  leaveContainerCgroup(id);
  return runHealthCheck(id);
}
