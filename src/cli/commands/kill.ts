// berth kill [-s SIG] CONTAINER...
import { parseFlags, str } from "../flags.ts";
import { killContainer } from "../../engine/ops/stop.ts";
import { daemonError, eachContainer } from "./container-util.ts";

export default async function kill(args: string[]): Promise<number> {
  let p;
  try {
    p = parseFlags(args, [{ name: "signal", short: "s", kind: "string" }]);
    if (!p.args.length) throw new Error("\"berth kill\" requires at least 1 argument.");
  } catch (e) {
    return daemonError(e);
  }
  return eachContainer(p.args, (id) => killContainer(id, str(p, "signal") ?? "KILL"));
}
