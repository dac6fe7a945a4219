// berth wait CONTAINER...: block until each stops, print its exit code.
import { parseFlags } from "../flags.ts";
import { sleep } from "../../runtime/ops/common.ts";
import { current } from "../../engine/runtime.ts";
import { daemonError, out, resolveId, errText } from "./container-util.ts";

export default async function wait(args: string[]): Promise<number> {
  let p;
  try {
    p = parseFlags(args, []);
    if (!p.args.length) throw new Error("\"berth wait\" requires at least 1 argument.");
  } catch (e) {
    return daemonError(e);
  }
  let code = 0;
  for (const ref of p.args) {
    try {
      const id = resolveId(ref);
      for (let i = 0; ; i++) {
        const cur = await current(id);
        if (!cur) {
          out(1, "0\n");
          break;
        }
        const st = cur.obs.status;
        if (st === "exited" || st === "dead") {
          out(1, `${cur.obs.exitCode}\n`);
          break;
        }
        await sleep(i < 20 ? 10 : 100);
      }
    } catch (e) {
      out(2, `Error response from daemon: ${errText(e)}\n`);
      code = 1;
    }
  }
  return code;
}
