// berth rm [-f] [-v] CONTAINER...
import { bool, parseFlags } from "../flags.ts";
import { removeContainer } from "../../engine/ops/remove.ts";
import { daemonError, eachContainer } from "./container-util.ts";
import { reconcileContainerNetworks } from "../../engine/network.ts";

export default async function rm(args: string[]): Promise<number> {
  let p;
  try {
    p = parseFlags(args, [
      { name: "force", short: "f", kind: "bool" },
      { name: "volumes", short: "v", kind: "bool" },
      { name: "link", short: "l", kind: "bool" },
    ]);
    if (!p.args.length) throw new Error("\"berth rm\" requires at least 1 argument.");
  } catch (e) {
    return daemonError(e);
  }
  const code = await eachContainer(p.args, (id) => removeContainer(id, { force: bool(p, "force"), volumes: bool(p, "volumes") }));
  // what crashed berth processes left of other containers' networks
  await reconcileContainerNetworks().catch(() => undefined);
  return code;
}
