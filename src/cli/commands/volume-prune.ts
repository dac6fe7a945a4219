// berth volume prune [OPTIONS]
import { bool, list, parseFlags, UsageError } from "../flags.ts";
import { pruneVolumes, type VolumeFilter } from "../../engine/volumes/index.ts";
import { fail, humanSize } from "./image-util.ts";
import { confirm } from "./volume-util.ts";
import { writeStdout } from "../../sys/io.ts";

export default async function volumePrune(argv: string[]): Promise<number> {
  const p = parseFlags(argv, [
    { name: "all", short: "a", kind: "bool" },
    { name: "force", short: "f", kind: "bool" },
    { name: "filter", kind: "list" },
  ]);
  if (p.args.length > 0) throw new UsageError('"volume prune" accepts no arguments.');
  const filter: VolumeFilter = {};
  let all = bool(p, "all");
  for (const s of list(p, "filter")) {
    const i = s.indexOf("=");
    const k = i < 0 ? s : s.slice(0, i);
    const v = i < 0 ? "" : s.slice(i + 1);
    if (k === "label") (filter.label ??= []).push(v);
    else if (k === "label!") (filter.labelNot ??= []).push(v);
    else if (k === "all") all = /^(true|1)$/i.test(v);
    else return fail(new Error(`invalid filter '${k}'`));
  }
  if (!bool(p, "force")) {
    const what = all ? "all local volumes" : "anonymous local volumes";
    if (!(await confirm(`WARNING! This will remove ${what} not used by at least one container.`))) return 0;
  }
  try {
    const r = pruneVolumes({ all, filter });
    if (r.deleted.length) writeStdout(`Deleted Volumes:\n${r.deleted.join("\n")}\n\n`);
    writeStdout(`Total reclaimed space: ${humanSize(r.spaceReclaimed)}\n`);
    return 0;
  } catch (e) {
    return fail(e);
  }
}
