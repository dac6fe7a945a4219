// berth rename CONTAINER NEW_NAME
import { parseFlags } from "../flags.ts";
import { renameContainer } from "../../engine/ops/rename.ts";
import { daemonError, resolveId } from "./container-util.ts";

export default async function rename(args: string[]): Promise<number> {
  try {
    const p = parseFlags(args, []);
    if (p.args.length !== 2) throw new Error("\"berth rename\" requires exactly 2 arguments.");
    await renameContainer(resolveId(p.args[0]!), p.args[1]!);
    return 0;
  } catch (e) {
    return daemonError(e);
  }
}
