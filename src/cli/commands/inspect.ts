// berth inspect / container inspect: Docker's JSON shape for the fields people script against.
// (The engine's record is not shaped for the API; this is the only place that knows Docker's.)
import { parseFlags, str } from "../flags.ts";
import type { ContainerRecord } from "../../engine/model.ts";
import { current, type Observed } from "../../engine/runtime.ts";
import { attachSocket } from "../../engine/paths.ts";
import { renderTemplate } from "./image-util.ts";
import { networkSettings, portBindings } from "./network-settings.ts";
import { daemonError, out, resolveId, errText } from "./container-util.ts";

function restartPolicy(rec: ContainerRecord) {
  return { Name: rec.options.restart.name, MaximumRetryCount: rec.options.restart.maximumRetryCount };
}

const nsToS = (ms: number) => ms * 1e6;

export function inspectDoc(rec: ContainerRecord, obs: Observed): Record<string, unknown> {
  const o = rec.options;
  const c = rec.config;
  const st = rec.state;
  const health = st.health && st.health.status !== "none"
    ? { Status: st.health.status, FailingStreak: st.health.failingStreak, Log: st.health.log.map((l) => ({ Start: l.start, End: l.end, ExitCode: l.exitCode, Output: l.output })) }
    : undefined;
  const binds = o.mounts.filter((m) => m.type === "bind" || (m.type === "volume" && m.source)).map((m) => `${m.source}:${m.target}${m.readOnly ? ":ro" : ""}`);
  return {
    Id: rec.id,
    Created: rec.created,
    Path: c.path,
    Args: c.args,
    State: {
      Status: obs.status,
      Running: obs.status === "running" || obs.status === "paused",
      Paused: obs.status === "paused",
      Restarting: obs.status === "restarting",
      OOMKilled: st.oomKilled,
      Dead: obs.status === "dead",
      Pid: obs.pid,
      ExitCode: obs.exitCode,
      Error: st.error,
      StartedAt: st.startedAt,
      FinishedAt: obs.finishedAt,
      ...(health ? { Health: health } : {}),
    },
    Image: rec.image,
    ResolvConfPath: `${rec.specPath.replace(/\/bundle\/config\.json$/, "")}/resolv.conf`,
    HostnamePath: `${rec.specPath.replace(/\/bundle\/config\.json$/, "")}/hostname`,
    HostsPath: `${rec.specPath.replace(/\/bundle\/config\.json$/, "")}/hosts`,
    LogPath: rec.logPath,
    Name: `/${rec.name}`,
    RestartCount: st.restartCount,
    Driver: "overlay2",
    Platform: "linux",
    MountLabel: "",
    ProcessLabel: "",
    AppArmorProfile: "",
    HostConfig: {
      Binds: binds.length ? binds : null,
      LogConfig: { Type: "json-file", Config: { "max-size": String(o.logMaxSize), "max-file": String(o.logMaxFiles) } },
      NetworkMode: o.network === "bridge" ? "bridge" : o.network,
      PortBindings: portBindings(rec),
      PublishAllPorts: !!o.publishAll,
      Dns: o.dns ?? [],
      DnsOptions: o.dnsOptions ?? [],
      DnsSearch: o.dnsSearch ?? [],
      ExtraHosts: o.extraHosts ?? null,
      RestartPolicy: restartPolicy(rec),
      AutoRemove: o.autoRemove,
      CapAdd: o.capAdd.length ? o.capAdd : null,
      CapDrop: o.capDrop.length ? o.capDrop : null,
      Privileged: o.privileged,
      ReadonlyRootfs: o.readOnly,
      SecurityOpt: o.securityOpt.length ? o.securityOpt : null,
      Tmpfs: Object.fromEntries(o.mounts.filter((m) => m.type === "tmpfs").map((m) => [m.target, ""])),
      Init: o.init || null,
      Memory: o.memory ?? 0,
      MemorySwap: o.memorySwap ?? (o.memory ? o.memory * 2 : 0),
      NanoCpus: o.nanoCpus ?? 0,
      CpuShares: o.cpuShares ?? 0,
      CpusetCpus: o.cpusetCpus ?? "",
      PidsLimit: o.pidsLimit ?? null,
      ShmSize: 67108864,
    },
    GraphDriver: {
      Name: "overlay2",
      Data: { UpperDir: rec.specPath.replace(/bundle\/config\.json$/, "diff"), WorkDir: rec.specPath.replace(/bundle\/config\.json$/, "work") },
    },
    Mounts: rec.mounts.map((m) => ({
      Type: m.type,
      ...(m.type === "volume" ? { Name: m.source } : {}),
      Source: m.type === "volume" ? "" : m.source,
      Destination: m.target,
      Mode: m.readOnly ? "ro" : "",
      RW: !m.readOnly,
      Propagation: m.type === "bind" ? (m.propagation ?? "rprivate") : "",
    })),
    Config: {
      Hostname: c.hostname,
      Domainname: "",
      User: c.user,
      AttachStdin: false,
      AttachStdout: false,
      AttachStderr: false,
      ...(c.exposedPorts.length ? { ExposedPorts: Object.fromEntries(c.exposedPorts.map((p) => [p, {}])) } : {}),
      Tty: o.tty,
      OpenStdin: o.interactive,
      StdinOnce: false,
      Env: c.env,
      Cmd: c.cmd,
      ...(c.healthcheck ? { Healthcheck: { Test: c.healthcheck.test, Interval: nsToS(c.healthcheck.intervalMs), Timeout: nsToS(c.healthcheck.timeoutMs), StartPeriod: nsToS(c.healthcheck.startPeriodMs), Retries: c.healthcheck.retries } } : {}),
      Image: rec.imageName,
      Volumes: c.volumes.length ? Object.fromEntries(c.volumes.map((v) => [v, {}])) : null,
      WorkingDir: c.workingDir === "/" && !o.workdir ? "" : c.workingDir,
      Entrypoint: c.entrypoint,
      OnBuild: null,
      Labels: c.labels,
      StopSignal: c.stopSignal,
      ...(o.stopTimeout !== undefined ? { StopTimeout: o.stopTimeout } : {}),
    },
    NetworkSettings: networkSettings(rec, obs),
    AttachSocket: attachSocket(rec.id),
  };
}

export default async function inspect(args: string[]): Promise<number> {
  let p;
  try {
    p = parseFlags(args, [
      { name: "format", short: "f", kind: "string" },
      { name: "size", short: "s", kind: "bool" },
      { name: "type", kind: "string" },
    ]);
    if (!p.args.length) throw new Error("\"berth inspect\" requires at least 1 argument.");
  } catch (e) {
    return daemonError(e);
  }
  const docs: unknown[] = [];
  let code = 0;
  for (const ref of p.args) {
    try {
      const cur = await current(resolveId(ref));
      if (!cur) throw new Error(`No such container: ${ref}`);
      docs.push(inspectDoc(cur.rec, cur.obs));
    } catch (e) {
      // `berth inspect IMAGE` falls back to the image, as Docker's does
      if (str(p, "type") !== "container") {
        try {
          const { findImage, imageConfig } = await import("../../image/index.ts");
          const { inspectImage } = await import("./image-util.ts");
          const img = findImage(ref);
          if (img) {
            docs.push(inspectImage(img, imageConfig(img.id)));
            continue;
          }
        } catch {
          /* not an image either */
        }
      }
      out(2, `Error: No such object: ${ref}\n`);
      if (process.env.BERTH_DEBUG) out(2, `${errText(e)}\n`);
      code = 1;
    }
  }
  const format = str(p, "format");
  if (format) out(1, docs.map((d) => `${renderTemplate(format, d)}\n`).join(""));
  else out(1, `${JSON.stringify(docs, null, 4)}\n`);
  return code;
}
