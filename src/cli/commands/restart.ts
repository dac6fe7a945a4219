// berth restart [-t N] CONTAINER...: stop (if running), then start.
import { int, parseFlags } from "../flags.ts";
import { startContainer } from "../../engine/ops/start.ts";
import { stopContainer } from "../../engine/ops/stop.ts";
import { daemonError, eachContainer } from "./container-util.ts";

export default async function restart(args: string[]): Promise<number> {
  let p;
  try {
    p = parseFlags(args, [{ name: "time", short: "t", kind: "int", aliases: ["timeout"] }]);
    if (!p.args.length) throw new Error("\"berth restart\" requires at least 1 argument.");
  } catch (e) {
    return daemonError(e);
  }
  return eachContainer(p.args, async (id) => {
    await stopContainer(id, int(p, "time"));
    await startContainer(id);
  });
}
