// berth run: create, attach (before start, so nothing is lost), start, and — without -d —
// relay stdio, forward signals and exit with the container's status.
import { parseFlags, bool, str, list, UsageError } from "../flags.ts";
import { attach, type AttachSession } from "../../engine/attach.ts";
import type { ContainerOptions } from "../../engine/model.ts";
import { createContainer } from "../../engine/ops/create.ts";
import { handleExit } from "../../engine/ops/exit.ts";
import { startContainer } from "../../engine/ops/start.ts";
import { parseSignal } from "../../engine/ops/stop.ts";
import { killContainer as runtimeKill } from "../../runtime/ops/kill.ts";
import { readExitFile, runtimeStore, warmCgroupAttach } from "../../engine/runtime.ts";
import { tryLoadRecord } from "../../engine/store.ts";
import { procStart } from "../../runtime/state.ts";
import { CONTAINER_FLAGS, containerOptions } from "./container-flags.ts";
import { out, runError } from "./container-util.ts";
import { trace } from "../../sys/trace.ts";

export default async function run(args: string[]): Promise<number> {
  trace("run: modules loaded");
  // The container's start writes cgroup.procs, and the kernel's first such write waits for an
  // RCU grace period: begun now, on a worker thread, that wait overlaps parsing and create.
  warmCgroupAttach();
  let o: ContainerOptions;
  let detach: boolean;
  let sigProxy: boolean;
  let streams: string[];
  try {
    const p = parseFlags(args, CONTAINER_FLAGS, false);
    const [image, ...cmd] = p.args;
    if (!image) throw new UsageError("'berth run' requires at least 1 argument.\n\nUsage:  berth run [OPTIONS] IMAGE [COMMAND] [ARG...]");
    o = containerOptions(p, image, cmd);
    detach = bool(p, "detach");
    sigProxy = p.flags.get("sig-proxy") !== false;
    streams = list(p, "attach");
    if (str(p, "pull") && str(p, "pull") !== "missing") throw new UsageError(`--pull=${str(p, "pull")} is not supported (only "missing")`);
    if (bool(p, "dry-run")) return await (await import("./container-dry-run.ts")).dryRun(o);
  } catch (e) {
    return runError(e, "run");
  }
  let id: string;
  try {
    id = (await createContainer(o)).id;
    trace("run: created");
  } catch (e) {
    return runError(e, "run");
  }
  if (detach) {
    try {
      await startContainer(id);
    } catch (e) {
      if (o.autoRemove) await removeQuietly(id);
      return runError(e, "run");
    }
    out(1, `${id}\n`);
    return 0;
  }
  return runAttached(id, o, sigProxy, streams);
}

export async function runAttached(id: string, o: Pick<ContainerOptions, "tty" | "interactive" | "autoRemove" | "restart">, sigProxy: boolean, streams: string[] = []): Promise<number> {
  const want = (s: string) => streams.length === 0 || streams.includes(s);
  let session: AttachSession | undefined;
  const tty = o.tty && process.stdin.isTTY;
  let monitorPid: number;
  let monitorStart: number;
  try {
    ({ monitorPid, monitorStart } = (await startContainer(id, {
      beforeStart: async () => {
        session = await attach(id, (k, d) => {
          if (k === 1 && want("stdout")) out(1, d);
          else if (k === 2 && want("stderr")) out(2, d);
        });
      },
    })).state);
  } catch (e) {
    session?.close();
    if (o.autoRemove) await removeQuietly(id);
    return runError(e, "run");
  }
  trace("run: started");
  const s = session!;
  if (tty) {
    process.stdin.setRawMode(true);
    const resize = () => s.resize(process.stdout.rows ?? 24, process.stdout.columns ?? 80);
    resize();
    process.on("SIGWINCH", resize);
  }
  if (o.interactive) {
    process.stdin.on("data", (d: Buffer) => s.stdin(d));
    process.stdin.on("end", () => s.closeStdin());
  }
  const forwarded: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"];
  if (sigProxy && !tty) {
    for (const sig of forwarded)
      process.on(sig, () => {
        try {
          runtimeKill(runtimeStore(), id, parseSignal(sig));
        } catch {
          /* exited */
        }
      });
  }
  let code = await s.exit;
  trace("run: exit frame");
  if (tty) process.stdin.setRawMode(false);
  // process.stdin is made on first use, and that costs several ms: only if it was used
  if (o.interactive || tty) process.stdin.pause();
  if (code === undefined) code = readExitFile(id)?.code ?? 125;
  // record the exit now (the monitor's exit command would too: whoever comes first does it);
  // restart policies stay with the exit command
  // With --rm, the network's teardown is left to the monitor's exit command when the monitor is
  // still there to exec it (if that is killed, the next berth command's reconcile does it);
  // with the monitor gone, this process tears the network down itself.
  const deferNetwork = o.autoRemove && procStart(monitorPid)?.start === monitorStart;
  if (o.restart.name === "no" && tryLoadRecord(id)) await handleExit(id, monitorPid, false, deferNetwork).catch(() => undefined);
  trace("run: exit handled");
  return code;
}

/** A failed `run --rm` leaves nothing (remove.ts is loaded only then). */
async function removeQuietly(id: string): Promise<void> {
  const { removeContainer } = await import("../../engine/ops/remove.ts");
  await removeContainer(id, { force: true }).catch(() => undefined);
}
