// exec: run another process in a running container (its namespaces, cgroup, seccomp filter).
// The process comes from --process or flags (CLI) or the engine; it is validated like a config's.
import { writeAtomic, type StateStore } from "../state.ts";
import type { Process } from "../spec.ts";
import { startHelper, type HelperRun, type HelperStdio } from "../helper.ts";
import { compileExecPlan } from "../plan/compile-exec.ts";
import type { MonitorContext, Seccomp } from "../plan/builder.ts";
import { validateSpec } from "../validate.ts";
import { managerFor, statusOf } from "./common.ts";
import { cloneIntoCgroupDir, ownCgroupJoinFiles, seccompFor } from "./plan-context.ts";
import { resolve } from "node:path";

export interface ExecOptions {
  process: Process;
  /** return once the process runs (default: wait and report its exit status) */
  detach?: boolean;
  pidFile?: string;
  consoleSocket?: string;
  preserveFds?: number;
  /** the engine: a monitor owns the process's stdio (attach socket) and records its exit */
  monitor?: MonitorContext;
  /** override the container's own filter (the engine's `--privileged` exec, tests) */
  seccomp?: Seccomp | null;
  /** the helper's stdio when there is no monitor (default: inherit ours) */
  io?: Pick<HelperStdio, "stdin" | "stdout" | "stderr">;
  /** startContainer hooks run before the init execs */
  allowCreated?: boolean;
  /** the program to run when it differs from args[0] (hooks: path, with args[0] as argv0) */
  execPath?: string;
}

export interface Execed {
  pid: number;
  /** exit status (foreground), or 0 once detached */
  exit: Promise<number>;
  helper: HelperRun;
}

export async function execInContainer(store: StateStore, id: string, o: ExecOptions): Promise<Execed> {
  const s = store.load(id);
  const status = statusOf(s, store);
  if (status !== "running" && !(o.allowCreated && status === "created")) throw new Error(`cannot exec in container ${id}: it is ${status}`);
  // validate the process as the spec validator would, inside a minimal config
  validateSpec({ ociVersion: s.ociVersion, root: { path: "/" }, process: o.process });
  const cg = managerFor(s);
  const seccomp = o.seccomp === null ? undefined : (o.seccomp ?? seccompFor(s.config, store));
  const mode = o.monitor ? "monitor" : o.detach ? "detached" : "foreground";
  const into = cloneIntoCgroupDir(cg);
  const plan = compileExecPlan(o.process, {
    execPath: o.execPath,
    leaveCgroup: o.monitor && !into ? ownCgroupJoinFiles(cg) : undefined,
    pid: s.pid,
    namespaces: s.config.linux?.namespaces ?? [],
    cgroupProcs: cg.joinFiles(),
    cloneIntoCgroup: into,
    mode,
    monitor: o.monitor,
    consoleSocket: o.consoleSocket,
    preserveFds: o.preserveFds,
    seccomp,
  });
  const quiet = o.monitor ? ("ignore" as const) : ("inherit" as const);
  const io = o.monitor ? { stdin: quiet, stdout: quiet, stderr: quiet } : { stdin: o.io?.stdin ?? quiet, stdout: o.io?.stdout ?? quiet, stderr: o.io?.stderr ?? quiet };
  // sealed: the helper joins a container whose processes are already running (CVE-2019-5736)
  const helper = startHelper({ preserveFds: o.preserveFds, detached: true, sealed: true, ...io });
  try {
    helper.send(plan);
    const pid = await helper.pid;
    await helper.ready;
    if (o.pidFile) writeAtomic(resolve(o.pidFile), String(pid));
    if (mode !== "foreground") {
      helper.release();
      return { pid, exit: Promise.resolve(0), helper };
    }
    return { pid, exit: helper.exit, helper };
  } catch (e) {
    helper.child.kill("SIGKILL");
    await helper.exit;
    throw e;
  }
}
