// berth ps / container ls: -a, -q, -n, -l, --filter, --format, --no-trunc, -s.
import { bool, int, list, parseFlags, str } from "../flags.ts";
import type { ContainerRecord } from "../../engine/model.ts";
import { current, reapOrphans, type Observed } from "../../engine/runtime.ts";
import { containerIds } from "../../engine/store.ts";
import { endpointOptions, netMode, reconcileContainerNetworks } from "../../engine/network.ts";
import { ago, formatRows, tabulate } from "./image-util.ts";
import { commandText, portsText, statusText } from "./container-view.ts";
import { daemonError, out } from "./container-util.ts";

interface Row {
  rec: ContainerRecord;
  obs: Observed;
}

function matches(r: Row, filters: string[]): boolean {
  const by = new Map<string, string[]>();
  for (const f of filters) {
    const i = f.indexOf("=");
    if (i < 0) throw new Error(`bad format of filter (expected name=value)`);
    const k = f.slice(0, i);
    if (!["status", "name", "id", "label", "exited", "ancestor", "health"].includes(k)) throw new Error(`invalid filter '${k}'`);
    by.set(k, [...(by.get(k) ?? []), f.slice(i + 1)]);
  }
  const any = (k: string, test: (v: string) => boolean) => !by.has(k) || by.get(k)!.some(test);
  const labels = r.rec.labels;
  return (
    any("status", (v) => v === r.obs.status) &&
    any("name", (v) => new RegExp(v).test(r.rec.name)) &&
    any("id", (v) => r.rec.id.startsWith(v)) &&
    (by.get("label") ?? []).every((v) => {
      const [k, val] = v.split(/=(.*)/s);
      return k! in labels && (val === undefined || labels[k!] === val);
    }) &&
    any("exited", (v) => r.obs.status === "exited" && r.obs.exitCode === Number(v)) &&
    any("ancestor", (v) => r.rec.imageName === v || r.rec.imageName.split(":")[0] === v || r.rec.image.replace(/^sha256:/, "").startsWith(v.replace(/^sha256:/, ""))) &&
    any("health", (v) => (r.rec.state.health?.status ?? "none") === v)
  );
}

export default async function ps(args: string[]): Promise<number> {
  let p;
  try {
    p = parseFlags(args, [
      { name: "all", short: "a", kind: "bool" },
      { name: "quiet", short: "q", kind: "bool" },
      { name: "last", short: "n", kind: "int" },
      { name: "latest", short: "l", kind: "bool" },
      { name: "filter", short: "f", kind: "list" },
      { name: "format", kind: "string" },
      { name: "no-trunc", kind: "bool" },
      { name: "size", short: "s", kind: "bool" },
    ]);
  } catch (e) {
    return daemonError(e);
  }
  try {
    await reapOrphans();
    await reconcileContainerNetworks().catch(() => undefined);
    const rows: Row[] = [];
    for (const id of containerIds()) {
      const cur = await current(id).catch(() => undefined);
      if (cur) rows.push(cur);
    }
    rows.sort((a, b) => (a.rec.created < b.rec.created ? 1 : -1));
    const last = bool(p, "latest") ? 1 : int(p, "last");
    const all = bool(p, "all") || last !== undefined || list(p, "filter").some((f) => f.startsWith("status=") || f.startsWith("exited="));
    let shown = rows.filter((r) => all || r.obs.status === "running" || r.obs.status === "paused" || r.obs.status === "restarting");
    shown = shown.filter((r) => matches(r, list(p, "filter")));
    if (last !== undefined && last >= 0) shown = shown.slice(0, last);
    const trunc = !bool(p, "no-trunc");
    if (bool(p, "quiet")) {
      out(1, shown.map((r) => `${trunc ? r.rec.id.slice(0, 12) : r.rec.id}\n`).join(""));
      return 0;
    }
    const now = Date.now();
    const data = shown.map((r) => {
      const cmd = commandText(r.rec);
      const quoted = `"${trunc && cmd.length > 20 ? `${cmd.slice(0, 19)}…` : cmd}"`;
      return {
        ID: trunc ? r.rec.id.slice(0, 12) : r.rec.id,
        Image: r.rec.imageName,
        Command: quoted,
        CreatedAt: new Date(r.rec.created).toISOString().replace("T", " ").replace(/\.\d+Z$/, " +0000 UTC"),
        RunningFor: ago(r.rec.created),
        Ports: portsText(r.rec),
        State: r.obs.status,
        Status: statusText(r.rec, r.obs, now),
        Names: r.rec.name,
        Labels: Object.entries(r.rec.labels).map(([k, v]) => `${k}=${v}`).join(","),
        Mounts: r.rec.mounts.map((m) => (m.type === "volume" ? m.source : m.source || m.target)).join(","),
        Networks: netMode(r.rec.options) === "bridge" ? endpointOptions(r.rec.options).map((n) => n.network).join(",") : r.rec.options.network,
        Size: "0B",
      };
    });
    const format = str(p, "format");
    if (format) {
      out(1, formatRows(format, data, { ID: "CONTAINER ID", Image: "IMAGE", Command: "COMMAND", CreatedAt: "CREATED AT", RunningFor: "CREATED", Ports: "PORTS", State: "STATE", Status: "STATUS", Names: "NAMES", Labels: "LABELS", Mounts: "MOUNTS", Networks: "NETWORKS", Size: "SIZE" }));
      return 0;
    }
    const table = [["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"], ...data.map((d) => [d.ID, d.Image, d.Command, d.RunningFor, d.Status, d.Ports, d.Names])];
    out(1, `${tabulate(table)}\n`);
    return 0;
  } catch (e) {
    return daemonError(e);
  }
}
