// What the create and exec compilers share: the three step lists (the helper's parent half
// before and after clone, and the child), the fd layout, the stdio plumbing to a console socket
// or the monitor, and the process tail (identity, capabilities, seccomp, exec).
import { readFileSync } from "node:fs";
import { CAPABILITIES, O, capBit } from "../linux.ts";
import type { Process } from "../spec.ts";
import { helperFds, type Arg, type Plan, type Step } from "./types.ts";

export class CompileError extends Error {
  override name = "CompileError";
}

/** Engine containers and execs: the helper's parent half stays as the monitor (monitor.c). */
export interface MonitorContext {
  logPath: string;
  logMaxSize: number;
  logMaxFiles: number;
  /** written atomically at exit: "<status> <unix ns>" */
  exitFile: string;
  attachSocket: string;
  /** -i: the container's stdin is fed from attached clients (else /dev/null) */
  stdin: boolean;
  /** exec'd by the monitor once the exit is recorded (berth's --rm / restart handling) */
  exitCommand: string[];
  health?: { intervalMs: number; argv: string[] };
}

export type Mode = "detached" | "foreground" | "monitor";

export interface Seccomp {
  program: Uint8Array;
  flags: number;
}

const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** Fixed fd numbers, after the preserved fds and the helper's own plan and sync fds. */
export function fdLayout(preserve: number) {
  const n = (k: number) => k + preserve;
  return { ...helperFds(preserve), fifo: n(5), console: n(6), outR: n(7), outW: n(8), errR: n(9), errW: n(10), inR: n(11), inW: n(12), consoleParent: n(13), resume: n(14), cgroup: n(15), go: n(16) };
}

export class PlanBuilder {
  readonly parent: Step[] = [];
  readonly post: Step[] = [];
  readonly child: Step[] = [];
  readonly fd: ReturnType<typeof fdLayout>;
  private clone?: Step;

  constructor(readonly preserve: number) {
    this.fd = fdLayout(preserve);
  }

  P = (op: Step["op"], args: Arg[], what: string) => void this.parent.push({ op, args, what, who: "parent" });
  Q = (op: Step["op"], args: Arg[], what: string) => void this.post.push({ op, args, what, who: "parent" });
  C = (op: Step["op"], args: Arg[], what: string) => void this.child.push({ op, args, what, who: "child" });

  /** `intoCgroup`: open that v2 cgroup directory and clone the child straight into it (clone3
   *  CLONE_INTO_CGROUP) rather than migrating anybody: no wait for the kernel's threadgroup lock. */
  cloneWith(flags: number, what: string, intoCgroup?: string): void {
    if (intoCgroup) this.P("OPEN_FD", [intoCgroup, O.RDONLY | O.DIRECTORY, this.fd.cgroup], `open cgroup ${intoCgroup} as fd ${this.fd.cgroup}`);
    this.clone = { op: "CLONE", args: [flags, 0, intoCgroup ? this.fd.cgroup : -1], what: intoCgroup ? `${what} into cgroup ${intoCgroup}` : what, who: "parent" };
    this.parent.push(this.clone);
    if (intoCgroup) this.Q("CLOSE", [this.fd.cgroup], `close the cgroup fd ${this.fd.cgroup}`);
  }

  /** Before clone: the console socket, or the monitor's pipes / socketpair. */
  stdioBeforeClone(proc: Process, mon: MonitorContext | undefined, consoleSocket: string | undefined): void {
    const { P, fd } = this;
    if (proc.terminal && mon) P("SOCKETPAIR", [fd.consoleParent, fd.console], `socketpair ${fd.consoleParent}/${fd.console} to hand the pty to the monitor`);
    else if (proc.terminal) {
      if (!consoleSocket) throw new CompileError("process.terminal is true: a --console-socket is required");
      P("CONNECT_UNIX", [consoleSocket, fd.console], `connect console socket ${consoleSocket} as fd ${fd.console}`);
    } else if (mon) {
      P("PIPE", [fd.outR, fd.outW], `pipe for stdout (${fd.outR} <- ${fd.outW})`);
      P("PIPE", [fd.errR, fd.errW], `pipe for stderr (${fd.errR} <- ${fd.errW})`);
      if (mon.stdin) P("PIPE", [fd.inR, fd.inW], `pipe for stdin (${fd.inR} <- ${fd.inW})`);
    }
  }

  /** After clone, in the parent: drop the child's ends, report the pid, then exit, wait or monitor.
   *  A monitor first moves back to `leaveCgroup` so that it is not charged to the container. */
  parentAfterClone(proc: Process, mode: Mode, mon: MonitorContext | undefined, leaveCgroup: string[] = []): void {
    const { Q, fd } = this;
    if (mon) for (const f of leaveCgroup) Q("WRITE_FILE", [f, "0"], `leave the container's cgroup for ${f.replace(/\/(cgroup\.procs|tasks)$/, "")}`);
    if (mon) {
      const childEnds = proc.terminal ? [fd.console] : [fd.outW, fd.errW, ...(mon.stdin ? [fd.inR] : [])];
      for (const f of childEnds) Q("CLOSE", [f], `close the child's end ${f}`);
    }
    Q("REPORT_PID", [], "report the pid");
    if (mode === "monitor") {
      if (!mon) throw new CompileError("monitor mode needs monitor settings");
      const h = mon.health;
      const tty = !!proc.terminal;
      Q(
        "MONITOR",
        [
          tty ? -1 : fd.outR, tty ? -1 : fd.errR, !tty && mon.stdin ? fd.inW : -1, tty ? fd.consoleParent : -1,
          mon.stdin ? 1 : 0, mon.logPath, mon.logMaxSize, mon.logMaxFiles, mon.exitFile, mon.attachSocket, h?.intervalMs ?? 0,
          mon.exitCommand.length, ...mon.exitCommand, h?.argv.length ?? 0, ...(h?.argv ?? []),
        ],
        `become the monitor: log to ${mon.logPath || "(none)"}, attach on ${mon.attachSocket}, exit status to ${mon.exitFile}`,
      );
    } else if (mode === "foreground") Q("WAIT_CHILD", [], "wait for the child, forwarding signals, and exit with its status");
    else Q("EXIT", [0], "exit (the child is reparented)");
  }

  /** In the child, early: stdio from the monitor's pipes (the terminal comes later, after pivot). */
  childStdio(proc: Process, mon: MonitorContext | undefined): void {
    const { C, fd } = this;
    if (!mon || proc.terminal) return;
    C("DUP2", [fd.outW, 1], "stdout to the monitor's pipe");
    C("DUP2", [fd.errW, 2], "stderr to the monitor's pipe");
    if (mon.stdin) C("DUP2", [fd.inR, 0], "stdin from the monitor's pipe");
    else {
      C("OPEN_FD", ["/dev/null", O.RDONLY, fd.inR], "open /dev/null for stdin");
      C("DUP2", [fd.inR, 0], "stdin from /dev/null");
    }
  }

  childConsole(proc: Process): void {
    if (!proc.terminal) return;
    const size = proc.consoleSize;
    this.C("SETUP_CONSOLE", [this.fd.console, size?.height ?? 0, size?.width ?? 0], "create the pty, send its master over the console socket, make it fds 0-2");
  }

  /** From chdir to exec: the process's identity, privileges and program. */
  processTail(proc: Process, o: { seccomp?: Seccomp; waitFifo?: boolean; hostCaps?: bigint; execPath?: string; parentDeathSignal?: number; setgroupsDenied?: boolean }): void {
    const { C } = this;
    C("CHDIR", [proc.cwd], `chdir ${proc.cwd}`);
    const env = proc.env ?? [];
    const pathVar = env.find((e) => e.startsWith("PATH="))?.slice(5) ?? DEFAULT_PATH;
    const argv = proc.args ?? [];
    const program = o.execPath ?? argv[0]!;
    C("RESOLVE_EXEC", [program, pathVar], `find ${program} in PATH`);
    // before any filter: an older profile may not know close_range
    C("CLOSE_FDS", [3 + this.preserve], `close every fd >= ${3 + this.preserve} at exec (${this.preserve} preserved)`);
    // Without no_new_privs a filter can only be loaded while CAP_SYS_ADMIN is still held.
    const early = o.seccomp && !proc.noNewPrivileges;
    if (early) C("SECCOMP", [o.seccomp!.program, o.seccomp!.flags], `load seccomp filter (${o.seccomp!.program.length / 8} instructions) before dropping privileges`);
    const caps = proc.capabilities ?? {};
    C("KEEPCAPS", [1], "keep capabilities across setuid");
    const groups = proc.user.additionalGids ?? [];
    if (o.setgroupsDenied) {
      // newgidmap writes "deny" to /proc/<pid>/setgroups when only the user's own gid is mapped
      if (groups.length) throw new CompileError("process.user.additionalGids: not possible in a user namespace that maps a single gid (setgroups is denied)");
    } else C("SETGROUPS", groups, `set supplementary groups [${groups.join(",")}]`);
    C("SETRESGID", [proc.user.gid], `set gid ${proc.user.gid}`);
    C("SETRESUID", [proc.user.uid], `set uid ${proc.user.uid}`);
    C("KEEPCAPS", [0], "stop keeping capabilities");
    const list = (s?: string[]) => (s ?? []).join(" ");
    // A capability this host's root does not hold cannot be granted: drop it here, visibly.
    const held = o.hostCaps ?? hostCapabilities();
    const missing = CAPABILITIES.filter((n, bit) => !(held & (1n << BigInt(bit))) && [caps.bounding, caps.effective, caps.permitted, caps.inheritable, caps.ambient].some((set) => set?.includes(n)));
    const m = (set?: string[]) => capMask(set) & held;
    C(
      "CAPS",
      [m(caps.bounding), m(caps.effective), m(caps.permitted), m(caps.inheritable), m(caps.ambient)],
      `capabilities: bounding [${list(caps.bounding)}] effective [${list(caps.effective)}] permitted [${list(caps.permitted)}] inheritable [${list(caps.inheritable)}] ambient [${list(caps.ambient)}]${missing.length ? ` (not held on this host, dropped: ${missing.join(" ")})` : ""}`,
    );
    if (proc.noNewPrivileges) C("NO_NEW_PRIVS", [], "set no_new_privs");
    // after the uid change, which clears it: the process dies with its monitor
    if (o.parentDeathSignal) C("PDEATHSIG", [o.parentDeathSignal], `die by signal ${o.parentDeathSignal} if the monitor dies`);
    C("UMASK", [proc.user.umask ?? 0o022], `umask ${(proc.user.umask ?? 0o022).toString(8).padStart(4, "0")}`);
    C("REPORT_READY", [], "report ready");
    if (o.waitFifo) C("WAIT_FIFO", [this.fd.fifo], "wait for `start` on the exec fifo");
    if (o.seccomp && !early) C("SECCOMP", [o.seccomp.program, o.seccomp.flags], `load seccomp filter (${o.seccomp.program.length / 8} instructions)`);
    C("EXEC", [argv.length, ...argv, env.length, ...env], `exec ${JSON.stringify(argv)}`);
  }

  /** The parent's steps, clone and after (complete once the child's begin): the clone step
   *  knows where the child's start. */
  head(): Step[] {
    if (!this.clone) throw new CompileError("plan has no clone step");
    this.clone.args[1] = this.parent.length + this.post.length;
    return [...this.parent, ...this.post];
  }

  build(): Plan {
    if (!this.clone) throw new CompileError("plan has no clone step");
    this.clone.args[1] = this.parent.length + this.post.length;
    return { steps: [...this.parent, ...this.post, ...this.child], planFd: this.fd.planFd, syncFd: this.fd.syncFd };
  }
}

export function capMask(names: string[] | undefined): bigint {
  let mask = 0n;
  for (const n of names ?? []) {
    const bit = capBit(n);
    if (bit < 0) throw new CompileError(`unknown capability "${n}"`);
    mask |= 1n << BigInt(bit);
  }
  return mask;
}

let hostCaps: bigint | undefined;
/** The bounding set berth itself runs with (a VM or an outer container may lack some). */
export function hostCapabilities(): bigint {
  if (hostCaps !== undefined) return hostCaps;
  const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync("/proc/self/status", "utf8"));
  return (hostCaps = m ? BigInt(`0x${m[1]}`) : (1n << 64n) - 1n);
}
