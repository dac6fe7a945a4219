// berth start [-a] [-i] CONTAINER...: start created or stopped containers; -a attaches to one.
import { bool, parseFlags } from "../flags.ts";
import { startContainer } from "../../engine/ops/start.ts";
import { loadRecord } from "../../engine/store.ts";
import { eachContainer, daemonError, resolveId } from "./container-util.ts";
import { runAttached } from "./run.ts";

export default async function start(args: string[]): Promise<number> {
  let p;
  try {
    p = parseFlags(args, [
      { name: "attach", short: "a", kind: "bool" },
      { name: "interactive", short: "i", kind: "bool" },
    ]);
    if (!p.args.length) throw new Error("\"berth start\" requires at least 1 argument.");
  } catch (e) {
    return daemonError(e);
  }
  if (bool(p, "attach") || bool(p, "interactive")) {
    if (p.args.length > 1) return daemonError(new Error("you cannot start and attach multiple containers at once"));
    try {
      const id = resolveId(p.args[0]!);
      const rec = loadRecord(id);
      return await runAttached(id, { ...rec.options, interactive: rec.options.interactive && bool(p, "interactive") }, true);
    } catch (e) {
      return daemonError(e);
    }
  }
  return eachContainer(p.args, async (id) => {
    await startContainer(id);
  });
}
