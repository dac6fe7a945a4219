// berth pause CONTAINER...
import { parseFlags } from "../flags.ts";
import { pauseContainer } from "../../engine/ops/pause.ts";
import { daemonError, eachContainer } from "./container-util.ts";

export function pauseCommand(pause: boolean) {
  return async (args: string[]): Promise<number> => {
    let p;
    try {
      p = parseFlags(args, []);
      if (!p.args.length) throw new Error(`"berth ${pause ? "pause" : "unpause"}" requires at least 1 argument.`);
    } catch (e) {
      return daemonError(e);
    }
    return eachContainer(p.args, (id) => pauseContainer(id, pause));
  };
}

export default pauseCommand(true);
