// ps: the container's processes, from its cgroup. Table or JSON (an array of pids, as runc).
import { readFileSync } from "node:fs";
import { parseFlags, str, oneId } from "../flags.ts";
import type { RuntimeCtx } from "../runtime.ts";
import { managerFor, statusOf } from "../../runtime/ops/common.ts";
import { writeStdout } from "../../sys/io.ts";

export default async function ps(ctx: RuntimeCtx): Promise<number> {
  const p = parseFlags(ctx.args, [{ name: "format", short: "f", kind: "string" }]);
  const id = oneId(p.args.slice(0, 1), "ps");
  const s = ctx.store.load(id);
  if (statusOf(s, ctx.store) === "stopped") throw new Error(`container ${id} is not running`);
  const pids = managerFor(s).pids().sort((a, b) => a - b);
  if (str(p, "format") === "json") {
    writeStdout(`${JSON.stringify(pids)}\n`);
    return 0;
  }
  const lines = ["PID    CMD"];
  for (const pid of pids) {
    let cmd = "";
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ");
    } catch {
      continue;
    }
    lines.push(`${String(pid).padEnd(6)} ${cmd}`);
  }
  writeStdout(`${lines.join("\n")}\n`);
  return 0;
}
