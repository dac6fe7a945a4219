// The exec compiler: a new process inside a running container's namespaces and cgroup
// (runc exec). The helper's parent half joins the cgroup and the pid namespace (which only
// takes effect for children), then clones; the child joins the other namespaces, the mount
// namespace last since it moves the root, and continues like a container's init from chdir on.
import { posix } from "node:path";
import { NS_CLONE_FLAG, NS_PROC_NAME, RLIMITS } from "../linux.ts";
import type { Namespace, Process } from "../spec.ts";
import { PlanBuilder, type Mode, type MonitorContext, type Seccomp } from "./builder.ts";
import type { Plan } from "./types.ts";

export interface ExecContext {
  /** host pid of the container's init */
  pid: number;
  /** the container's namespaces, as its config listed them */
  namespaces: Namespace[];
  cgroupProcs: string[];
  /** v2: clone the child straight into this cgroup directory instead of joining (compile.ts) */
  cloneIntoCgroup?: string;
  mode: Mode;
  monitor?: MonitorContext;
  consoleSocket?: string;
  preserveFds?: number;
  seccomp?: Seccomp;
  leaveCgroup?: string[];
  /** the program, when it is not args[0] (a hook's path) */
  execPath?: string;
}

// the mount namespace goes last: joining it changes the root and cwd
const ORDER = ["user", "cgroup", "ipc", "uts", "network", "time", "mount"];

export function compileExecPlan(proc: Process, ctx: ExecContext): Plan {
  const b = new PlanBuilder(ctx.preserveFds ?? 0);
  const { P, C } = b;
  const mon = ctx.mode === "monitor" ? ctx.monitor : undefined;
  const nsPath = (t: string) => `/proc/${ctx.pid}/ns/${NS_PROC_NAME[t]}`;
  const types = new Set(ctx.namespaces.map((n) => n.type));

  P("DUMPABLE", [0], "make the helper non-dumpable: the container can see it once it joins");
  if (!ctx.cloneIntoCgroup) for (const f of ctx.cgroupProcs) P("WRITE_FILE", [f, "0"], `join cgroup ${posix.dirname(f)}`);
  if (proc.oomScoreAdj !== undefined) P("WRITE_FILE", ["/proc/self/oom_score_adj", String(proc.oomScoreAdj)], `set oom_score_adj ${proc.oomScoreAdj}`);
  b.stdioBeforeClone(proc, mon, ctx.consoleSocket);
  if (types.has("pid")) P("SETNS", [nsPath("pid"), NS_CLONE_FLAG.pid!], `join the pid namespace of ${ctx.pid} (for the child)`);
  b.cloneWith(0, "clone (the child is born in the container's pid namespace)", ctx.cloneIntoCgroup);
  // Back to our own pid namespace for later children: with another one pending, the kernel
  // refuses to create threads, and the monitor's exit command (Bun) needs them.
  if (types.has("pid")) b.Q("SETNS", ["/proc/self/ns/pid", NS_CLONE_FLAG.pid!], "return to our own pid namespace for later children");
  b.parentAfterClone(proc, ctx.mode, mon, ctx.leaveCgroup);

  C("DUMPABLE", [0], "stay non-dumpable until exec");
  for (const t of ORDER) if (types.has(t as Namespace["type"])) C("SETNS", [nsPath(t), NS_CLONE_FLAG[t]!], `join the ${t} namespace of ${ctx.pid}`);
  if (types.has("user")) {
    C("SETRESGID", [0], "become gid 0 of the user namespace");
    C("SETRESUID", [0], "become uid 0 of the user namespace");
  }
  if (proc.terminal) C("SETSID", [], "start a new session");
  b.childStdio(proc, mon);
  b.childConsole(proc);
  for (const r of proc.rlimits ?? []) C("SETRLIMIT", [RLIMITS[r.type]!, BigInt(r.soft), BigInt(r.hard)], `set ${r.type} soft ${r.soft} hard ${r.hard}`);
  b.processTail(proc, { seccomp: ctx.seccomp, execPath: ctx.execPath, parentDeathSignal: mon ? 9 : undefined });
  return b.build();
}
