// exec: another process in a running container, with its own monitor (attach socket, exit
// file under containers/<id>/exec/<execid>/, and `__exec-exited` as its exit command, which
// records exec_die and removes those files). The process inherits the container's env, user,
// cwd, capabilities, rlimits and seccomp filter from its spec; -e/-u/-w/--privileged/-t
// override. It is held just before exec until the caller is attached (HOOK_SYNC on the
// helper's resume pipe), so no output is lost to a client that connects late.
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { StepError, startHelper } from "../../runtime/helper.ts";
import { CAPABILITIES } from "../../runtime/linux.ts";
import { managerFor, statusOf } from "../../runtime/ops/common.ts";
import { cloneIntoCgroupDir, ownCgroupJoinFiles, seccompFor } from "../../runtime/ops/plan-context.ts";
import { fdLayout, type MonitorContext } from "../../runtime/plan/builder.ts";
import { compileExecPlan } from "../../runtime/plan/compile-exec.ts";
import type { Plan } from "../../runtime/plan/types.ts";
import type { Process, Spec } from "../../runtime/spec.ts";
import { validateSpec } from "../../runtime/validate.ts";
import { attach, type AttachSession } from "../attach.ts";
import { emitEvent } from "../events.ts";
import { imageLayersTopFirst, upperDir } from "../fs/container.ts";
import { ConflictError, ExecError, type ContainerRecord } from "../model.ts";
import { berthBinary, bundleDir, containerDir, runDir } from "../paths.ts";
import { current, runtimeStore } from "../runtime.ts";
import { newId } from "../store.ts";
import { resolveUser } from "../user.ts";

export const EXEC_EXIT_COMMAND = "__exec-exited";

export interface ExecRequest {
  cmd: string[];
  interactive: boolean;
  tty: boolean;
  detach: boolean;
  env: string[];
  user?: string;
  workdir?: string;
  privileged: boolean;
  /** the client's terminal size, for -t */
  consoleSize?: { rows: number; cols: number };
}

export interface ExecHandle {
  execId: string;
  pid: number;
  /** attached (not -d): the session the process's stdio goes through */
  session?: AttachSession;
}

export const execDir = (id: string, execId: string): string => join(containerDir(id), "exec", execId);
export const execExitFile = (id: string, execId: string): string => join(execDir(id, execId), "exit");
export function execSocket(execId: string): string {
  const dir = runDir();
  // sun_path holds 108 bytes
  return join(dir, `x-${dir.length > 30 ? execId.slice(0, 24) : execId}.sock`);
}

function mergeEnv(base: string[], over: string[]): string[] {
  const m = new Map<string, string>();
  for (const e of [...base, ...over]) m.set(e.split("=")[0]!, e);
  return [...m.values()];
}

/** The process: the container's, with the exec's overrides. */
export function execProcess(rec: ContainerRecord, spec: Spec, r: ExecRequest): Process {
  const base = spec.process;
  if (!base) throw new Error(`container ${rec.id} has no process in its spec`);
  let env = mergeEnv(base.env ?? [], r.env);
  if (r.tty && !env.some((e) => e.startsWith("TERM="))) env = [...env, "TERM=xterm"];
  const layers = [upperDir(rec.id), ...imageLayersTopFirst(rec)];
  const user = r.user !== undefined && r.user !== "" ? (() => {
    const u = resolveUser(r.user, layers);
    return { uid: u.uid, gid: u.gid, additionalGids: u.additionalGids };
  })() : base.user;
  const caps = r.privileged ? [...CAPABILITIES] : undefined;
  return {
    terminal: r.tty,
    ...(r.tty && r.consoleSize ? { consoleSize: { height: r.consoleSize.rows, width: r.consoleSize.cols } } : {}),
    user,
    args: r.cmd,
    env,
    cwd: r.workdir || base.cwd,
    capabilities: caps ? { bounding: caps, effective: caps, permitted: caps } : base.capabilities,
    rlimits: base.rlimits,
    noNewPrivileges: base.noNewPrivileges,
    ...(base.oomScoreAdj !== undefined ? { oomScoreAdj: base.oomScoreAdj } : {}),
  };
}

/** The runtime's errors in Docker's exec words and codes (127 not found, 126 cannot run). */
function execError(e: unknown, cmd: string): Error {
  if (e instanceof StepError) {
    if (/in PATH/.test(e.what) && e.errno === 2) return new ExecError(`OCI runtime exec failed: exec failed: unable to start container process: exec: "${cmd}": executable file not found in $PATH: unknown`, 127);
    if (/in PATH|^exec |^chdir /.test(e.what)) return new ExecError(`OCI runtime exec failed: exec failed: unable to start container process: ${e.message}: unknown`, 126);
  }
  return e instanceof Error ? e : new Error(String(e));
}

/** Hold the process between its set-up and exec until `go` resolves (the resume pipe). */
function withHold(plan: Plan, resumeFd: number): Plan {
  const steps = [...plan.steps];
  const at = steps.findIndex((s) => s.op === "REPORT_READY");
  if (at < 0) throw new Error("exec plan has no REPORT_READY step");
  steps.splice(at, 0, { op: "HOOK_SYNC", args: [resumeFd], what: "wait until the exec's client is attached", who: "child" });
  return { ...plan, steps };
}

async function connectWhenReady(id: string, sock: string, onOutput: (k: 1 | 2, d: Uint8Array) => void): Promise<AttachSession> {
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      return await attach(id, onOutput, sock);
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}

export async function execInRunning(ref: string, id: string, r: ExecRequest, onOutput: (k: 1 | 2, d: Uint8Array) => void): Promise<ExecHandle> {
  const cur = await current(id);
  if (!cur) throw new ConflictError(`container ${id} is not running`);
  const { rec, obs } = cur;
  if (obs.status === "paused") throw new ConflictError(`Container ${id} is paused, unpause the container before exec`);
  if (obs.status !== "running") throw new ConflictError(`container ${id} is not running`);
  const spec = JSON.parse(readFileSync(join(bundleDir(id), "config.json"), "utf8")) as Spec;
  const proc = execProcess(rec, spec, r);
  const store = runtimeStore();
  const s = store.load(id);
  if (statusOf(s, store) !== "running") throw new ConflictError(`container ${id} is not running`);
  validateSpec({ ociVersion: s.ociVersion, root: { path: "/" }, process: proc });
  const execId = newId();
  const dir = execDir(id, execId);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  mkdirSync(runDir(), { recursive: true, mode: 0o700 });
  const sock = execSocket(execId);
  const monitor: MonitorContext = {
    logPath: "",
    logMaxSize: 0,
    logMaxFiles: 1,
    exitFile: execExitFile(id, execId),
    attachSocket: sock,
    stdin: r.interactive,
    // the exec monitor joined the container's pid namespace for its child, and a process whose
    // children go to another pid namespace cannot start threads (Bun aborts): a shell forks
    // berth instead (it then runs in the container's pid namespace, on the host's filesystem)
    exitCommand: ["/bin/sh", "-c", '"$0" "$@"; :', berthBinary(), EXEC_EXIT_COMMAND, id, execId, r.cmd.join(" ")],
  };
  const cg = managerFor(s);
  const resume = fdLayout(0).resume;
  const into = cloneIntoCgroupDir(cg);
  const plan = withHold(
    compileExecPlan(proc, {
      leaveCgroup: into ? undefined : ownCgroupJoinFiles(cg),
      pid: s.pid,
      namespaces: s.config.linux?.namespaces ?? [],
      cgroupProcs: cg.joinFiles(),
      cloneIntoCgroup: into,
      mode: "monitor",
      monitor,
      seccomp: r.privileged ? undefined : seccompFor(s.config, store),
    }),
    resume,
  );
  const attrs = { name: rec.name, image: rec.imageName, execID: execId };
  emitEvent({ type: "container", action: `exec_create: ${r.cmd.join(" ")}`, id, attributes: attrs });
  const helper = startHelper({ detached: true, sealed: true, stdin: "ignore", stdout: "ignore", stderr: "ignore", resumeFd: resume });
  let session: AttachSession | undefined;
  helper.onHooks(async () => {
    // detached: still wait for the monitor's socket, so that it watches the process before it runs
    const sess = await connectWhenReady(id, sock, onOutput);
    if (r.detach) sess.close();
    else session = sess;
  });
  try {
    helper.send(plan);
    const pid = await helper.pid;
    await helper.ready;
    helper.release();
    emitEvent({ type: "container", action: `exec_start: ${r.cmd.join(" ")}`, id, attributes: attrs });
    return { execId, pid, ...(session ? { session } : {}) };
  } catch (e) {
    session?.close();
    // a child that failed before exec may have died before its monitor watched for it (the
    // monitor would wait forever): stop the monitor; the files are removed here instead
    helper.child.kill("SIGKILL");
    await helper.exit.catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    rmSync(sock, { force: true });
    throw execError(e, r.cmd[0] ?? "");
  }
}

/** The exec's status from its exit file (when the socket closed without an exit frame). */
export function readExecExit(id: string, execId: string): number | undefined {
  try {
    return Number(readFileSync(execExitFile(id, execId), "utf8").trim().split(" ")[0]);
  } catch {
    return undefined;
  }
}

/** Run by the exec's monitor once the process exited: the exec_die event, then its files go. */
export function execExited(id: string, execId: string, cmd: string, name = ""): void {
  const code = readExecExit(id, execId);
  emitEvent({ type: "container", action: "exec_die", id, attributes: { execID: execId, exitCode: String(code ?? -1), ...(name ? { name } : {}), ...(cmd ? { command: cmd } : {}) } });
  rmSync(execDir(id, execId), { recursive: true, force: true });
  rmSync(execSocket(execId), { force: true });
}
