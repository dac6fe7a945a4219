// berth stop [-t N] [-s SIG] CONTAINER...
import { int, parseFlags, str } from "../flags.ts";
import { stopContainer } from "../../engine/ops/stop.ts";
import { daemonError, eachContainer } from "./container-util.ts";
import { loadRecord, saveRecord, withContainerLock } from "../../engine/store.ts";

export default async function stop(args: string[]): Promise<number> {
  let p;
  try {
    p = parseFlags(args, [
      { name: "time", short: "t", kind: "int", aliases: ["timeout"] },
      { name: "signal", short: "s", kind: "string" },
    ]);
    if (!p.args.length) throw new Error("\"berth stop\" requires at least 1 argument.");
  } catch (e) {
    return daemonError(e);
  }
  const sig = str(p, "signal");
  return eachContainer(p.args, async (id) => {
    if (sig) await withContainerLock(id, () => {
      const r = loadRecord(id);
      r.config.stopSignal = sig;
      saveRecord(r);
    });
    await stopContainer(id, int(p, "time"));
  });
}
