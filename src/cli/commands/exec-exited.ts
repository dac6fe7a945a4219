// hidden: `berth __exec-exited CONTAINER EXECID CMD`, exec'd by an exec's monitor once the
// process exited: the exec_die event, then the exec's files are removed.
import { execExited } from "../../engine/ops/exec.ts";

export default async function execExitedCmd(args: string[]): Promise<number> {
  const [id, execId, cmd = ""] = args;
  if (!id || !execId) return 2;
  execExited(id, execId, cmd);
  return 0;
}
