// How containers read in ps/inspect: Docker's status words and strings ("Up 3 seconds").
import type { ContainerRecord } from "../../engine/model.ts";
import type { Observed } from "../../engine/runtime.ts";
import { humanDuration } from "./image-util.ts";

export function statusText(rec: ContainerRecord, obs: Observed, now = Date.now()): string {
  const since = (iso: string) => humanDuration(now - Date.parse(iso));
  switch (obs.status) {
    case "created":
      return "Created";
    case "running":
    case "paused": {
      const h = rec.state.health;
      const health = h && h.status !== "none" ? (h.status === "starting" ? " (health: starting)" : ` (${h.status})`) : "";
      return `Up ${since(rec.state.startedAt)}${obs.status === "paused" ? " (Paused)" : health}`;
    }
    case "restarting":
      return `Restarting (${rec.state.exitCode}) ${since(rec.state.finishedAt)} ago`;
    case "removing":
      return "Removal In Progress";
    case "dead":
      return "Dead";
    default:
      return `Exited (${obs.exitCode}) ${since(obs.finishedAt && !obs.finishedAt.startsWith("0001") ? obs.finishedAt : rec.created)} ago`;
  }
}

export function commandText(rec: ContainerRecord): string {
  return [rec.config.path, ...rec.config.args].join(" ");
}

export function portsText(rec: ContainerRecord): string {
  const ps = rec.network?.ports ?? [];
  const published = ps.map((p) => `${p.hostIP || "0.0.0.0"}:${p.hostPort}->${p.containerPort}/${p.protocol}`);
  const exposed = rec.config.exposedPorts.filter((e) => !ps.some((p) => `${p.containerPort}/${p.protocol}` === e));
  return [...published, ...exposed].join(", ");
}
