// berth top CONTAINER [ps OPTIONS]: the host's ps, limited to the container's cgroup.
import { spawnSync } from "node:child_process";
import { parseFlags } from "../flags.ts";
import { managerFor } from "../../runtime/ops/common.ts";
import { current } from "../../engine/runtime.ts";
import { daemonError, out, resolveId } from "./container-util.ts";

export default async function top(args: string[]): Promise<number> {
  try {
    const p = parseFlags(args, [], false);
    if (!p.args.length) throw new Error("\"berth top\" requires at least 1 argument.");
    const id = resolveId(p.args[0]!);
    const cur = await current(id);
    if (!cur || (cur.obs.status !== "running" && cur.obs.status !== "paused")) throw new Error(`Container ${id} is not running`);
    const pids = new Set(managerFor({ id, cgroupsPath: `/berth/${id}` }).pids());
    const psArgs = p.args.length > 1 ? p.args.slice(1) : ["-ef"];
    const r = spawnSync("ps", psArgs, { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`ps: ${r.stderr.trim()}`);
    const lines = r.stdout.split("\n").filter(Boolean);
    const header = lines[0]!;
    const pidCol = header.trim().split(/\s+/).indexOf("PID");
    if (pidCol < 0) throw new Error(`Couldn't find PID field in ps output`);
    const rows = lines.slice(1).filter((l) => pids.has(Number(l.trim().split(/\s+/)[pidCol])));
    out(1, [header, ...rows].join("\n") + "\n");
    return 0;
  } catch (e) {
    return daemonError(e);
  }
}
