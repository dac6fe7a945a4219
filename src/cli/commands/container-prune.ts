// berth container prune [-f] [--filter label=..|until=..]
import { bool, list, parseFlags } from "../flags.ts";
import { pruneContainers } from "../../engine/ops/prune.ts";
import { humanSize } from "./image-util.ts";
import { daemonError, out } from "./container-util.ts";
import { parseTime } from "./logs.ts";

export default async function prune(args: string[]): Promise<number> {
  try {
    const p = parseFlags(args, [
      { name: "force", short: "f", kind: "bool" },
      { name: "filter", kind: "list" },
    ]);
    const filters = list(p, "filter");
    if (!bool(p, "force") && process.stdin.isTTY) {
      out(1, "WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ");
      const answer = await new Promise<string>((r) => process.stdin.once("data", (d: Buffer) => r(d.toString().trim())));
      process.stdin.pause();
      if (!/^y(es)?$/i.test(answer)) return 0;
    }
    const { deleted, reclaimed } = await pruneContainers((rec) =>
      !filters.every((f) => {
        const [k, v = ""] = f.split(/=(.*)/s);
        if (k === "until") return Date.parse(rec.created) < parseTime(v);
        if (k === "label") {
          const [lk, lv] = v.split(/=(.*)/s);
          return lk! in rec.labels && (lv === undefined || rec.labels[lk!] === lv);
        }
        if (k === "label!") {
          const [lk, lv] = v.split(/=(.*)/s);
          return !(lk! in rec.labels && (lv === undefined || rec.labels[lk!] === lv));
        }
        throw new Error(`invalid filter '${k}'`);
      }),
    );
    if (deleted.length) out(1, `Deleted Containers:\n${deleted.map((d) => `${d}\n`).join("")}\n`);
    out(1, `Total reclaimed space: ${humanSize(reclaimed)}\n`);
    return 0;
  } catch (e) {
    return daemonError(e);
  }
}
