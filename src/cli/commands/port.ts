// berth port CONTAINER [PRIVATE_PORT[/PROTO]]
import { parseFlags } from "../flags.ts";
import { loadRecord } from "../../engine/store.ts";
import { current } from "../../engine/runtime.ts";
import { daemonError, out, resolveId } from "./container-util.ts";

export default async function port(args: string[]): Promise<number> {
  try {
    const p = parseFlags(args, []);
    if (p.args.length < 1 || p.args.length > 2) throw new Error("\"berth port\" requires 1 or 2 arguments.");
    const rec = loadRecord(resolveId(p.args[0]!));
    // only a running container has published ports (the ones chosen at its start)
    const cur = await current(rec.id);
    const running = cur?.obs.status === "running" || cur?.obs.status === "paused";
    const net = await import("../../network/index.ts");
    const ports = running ? (net.containerNetwork(rec.id)?.ports ?? []) : [];
    const want = p.args[1];
    if (want) {
      const [n, proto = "tcp"] = want.split("/");
      const hits = ports.filter((x) => String(x.containerPort) === n && x.protocol === proto);
      if (!hits.length) throw new Error(`No public port '${n}/${proto}' published for ${p.args[0]}`);
      out(1, hits.map((x) => `${x.hostIP || "0.0.0.0"}:${x.hostPort}\n`).join(""));
      return 0;
    }
    out(1, ports.map((x) => `${x.containerPort}/${x.protocol} -> ${x.hostIP || "0.0.0.0"}:${x.hostPort}\n`).join(""));
    return 0;
  } catch (e) {
    return daemonError(e);
  }
}
