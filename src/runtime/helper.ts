// Runs the native helper on a plan and follows its reports. The helper reads the plan from
// one pipe and reports on another; a failed step comes back as step index + errno and is
// turned into words here, with the step's own description.
import { helperPath } from "../sys/paths.ts";
import { errnoText, SIGNALS } from "./linux.ts";
import { spawnHelper, type Spawned, type StdioSlot } from "../sys/spawn.ts";
import { encodeFrame } from "./plan/encode.ts";
import { REPORT_SIZE, Report } from "./plan/ops.ts";
import { helperFds, type Plan, type Step } from "./plan/types.ts";

export class StepError extends Error {
  override name = "StepError";
  constructor(
    readonly step: number,
    readonly errno: number,
    readonly what: string,
    readonly detail: string,
  ) {
    super(`${what}: ${errnoText(errno)}${detail && !what.includes(detail) ? ` (${detail})` : ""} (step ${step})`);
  }
}

export interface HelperRun {
  child: Spawned;
  /** hand the helper its plan (it waits for it); call once, after sendHead if that was called */
  send(plan: Plan): void;
  /** hand the helper the steps before the child's (parent, clone, parent after clone) so that it
   *  can clone while the child's are compiled; `send` then sends only the rest. Only for a plan
   *  whose parent does not wait before clone (see PlanHead.split): the child reads the rest. */
  sendHead(steps: Step[]): void;
  /** the container's host pid, once the helper reported it */
  pid: Promise<number>;
  /** resolves when the init reported ready (setup done); rejects with a StepError */
  ready: Promise<number>;
  /** the helper's exit code (in foreground mode: the container's status) */
  exit: Promise<number>;
  /** stop following reports (the init keeps the sync fd until exec) */
  release(): void;
  /** called at the hook point; resolve to let the child go on, reject to stop it */
  onHooks(run: (pid: number) => Promise<void>): void;
  /** the cgroup is made: let whoever waits at the plan's WAIT_GO join it (needs goFd) */
  go(): void;
}

export interface HelperStdio {
  stdin?: "inherit" | "ignore" | number;
  stdout?: "inherit" | "ignore" | number;
  stderr?: "inherit" | "ignore" | number;
  /** fds 3.. of ours to pass through at the same numbers */
  preserveFds?: number;
  detached?: boolean;
  /** run from a sealed in-memory copy, so that a container it joins cannot overwrite the
   *  binary through /proc/<pid>/exe (CVE-2019-5736) */
  sealed?: boolean;
  /** a pipe the helper waits on at its hook point (HOOK_SYNC) */
  resumeFd?: number;
  /** a pipe the helper (or its child) waits on until the cgroup is made (WAIT_GO) */
  goFd?: number;
}

/** Start the helper before the plan is ready: exec'ing it overlaps with the plan's compilation. */
export function startHelper(io: HelperStdio = {}): HelperRun {
  const { planFd, syncFd } = helperFds(io.preserveFds);
  const stdio: StdioSlot[] = [io.stdin ?? "inherit", io.stdout ?? "inherit", io.stderr ?? "inherit"];
  for (let i = 0; i < (io.preserveFds ?? 0); i++) stdio.push(3 + i);
  stdio[planFd] = "pipe-in";
  stdio[syncFd] = "pipe-out";
  for (const fd of [io.resumeFd, io.goFd]) {
    if (fd === undefined) continue;
    for (let i = stdio.length; i < fd; i++) stdio[i] = "ignore";
    stdio[fd] = "pipe-in";
  }
  const args = [String(planFd), String(syncFd)];
  const child = spawnHelper(helperPath(), io.sealed ? ["--sealed", ...args] : args, stdio, io.detached ?? false);

  let plan: Plan | undefined;
  let headLength = 0;
  let hookRunner: ((pid: number) => Promise<void>) | undefined;
  let hookError: Error | undefined;
  let resolvePid!: (n: number) => void;
  let rejectPid!: (e: Error) => void;
  let resolveReady!: (n: number) => void;
  let rejectReady!: (e: Error) => void;
  const pid = new Promise<number>((res, rej) => ((resolvePid = res), (rejectPid = rej)));
  const ready = new Promise<number>((res, rej) => ((resolveReady = res), (rejectReady = rej)));
  pid.catch(() => {});
  ready.catch(() => {});
  // plain typed arrays, not Buffer: its first use costs a compiled create ~0.15 ms
  let buf: Uint8Array = new Uint8Array(0);
  let settled = false;
  const onData = (chunk: Uint8Array) => {
    if (buf.length === 0) buf = chunk;
    else {
      const joined = new Uint8Array(buf.length + chunk.length);
      joined.set(buf);
      joined.set(chunk, buf.length);
      buf = joined;
    }
    while (buf.length >= REPORT_SIZE) {
      const rec = new DataView(buf.buffer, buf.byteOffset, REPORT_SIZE);
      const text = buf.subarray(16, REPORT_SIZE);
      buf = buf.subarray(REPORT_SIZE);
      const kind = rec.getUint32(0, true);
      const step = rec.getInt32(4, true);
      const err = rec.getInt32(8, true);
      const value = rec.getInt32(12, true);
      const nul = text.indexOf(0);
      const detail = kind === Report.ERROR ? new TextDecoder().decode(nul < 0 ? text : text.subarray(0, nul)) : "";
      if (kind === Report.HOOKS) {
        const resume = io.resumeFd;
        if (resume === undefined) continue;
        // the child waits on the resume pipe: one byte to go on, EOF to give up
        void (hookRunner ? hookRunner(value) : Promise.resolve()).then(
          () => child.writeAndClose(resume, new Uint8Array([1])),
          (e: Error) => {
            hookError = e;
            child.writeAndClose(resume, new Uint8Array(0));
          },
        );
      } else if (kind === Report.PID) resolvePid(value);
      else if (kind === Report.READY) {
        settled = true;
        resolveReady(value);
      } else if (kind === Report.ERROR) {
        settled = true;
        const what = plan?.steps[step]?.what ?? (detail || "berth-init");
        const e = hookError ?? new StepError(step, err, what, detail);
        rejectPid(e);
        rejectReady(e);
      }
    }
    // a part of a record waits for the next read: our own copy, not a view of the reader's chunk
    if (buf.length > 0) buf = buf.slice();
  };
  const stopFollowing = child.follow(syncFd, onData, () => {
    if (!settled) {
      const e = new Error("container init exited before it was ready");
      rejectPid(e);
      rejectReady(e);
    }
  });
  const exit = child.exited.then(({ code, signal }) => code ?? 128 + (signal ? signalNumber(signal) : 0));
  return {
    child,
    pid,
    ready,
    exit,
    send(p: Plan) {
      if (p.planFd !== planFd || p.syncFd !== syncFd) throw new Error("plan compiled for other helper fds");
      plan = p;
      try {
        child.writeAndClose(planFd, encodeFrame(p.steps.slice(headLength)));
      } catch (e) {
        // after a head: a helper that failed in it has exited, and its report says why
        if (!headLength || (e as NodeJS.ErrnoException).code !== "EPIPE") throw e;
      }
    },
    sendHead(steps) {
      plan = { steps, planFd, syncFd };
      headLength = steps.length;
      child.write(planFd, encodeFrame(steps));
    },
    onHooks(run) {
      hookRunner = run;
    },
    go() {
      if (io.goFd === undefined) throw new Error("helper started without a go pipe");
      try {
        child.writeAndClose(io.goFd, new Uint8Array([1]));
      } catch (e) {
        // a child that failed before the gate has closed its end: its report says why
        if ((e as NodeJS.ErrnoException).code !== "EPIPE") throw e;
      }
    },
    release() {
      child.unref();
      stopFollowing();
    },
  };
}

function signalNumber(sig: string): number {
  return SIGNALS[sig] ?? 0;
}
