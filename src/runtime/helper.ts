// Runs the native helper on a plan and follows its reports. The helper reads the plan from
// one pipe and reports on another; a failed step comes back as step index + errno and is
// turned into words here, with the step's own description.
import { spawn, type ChildProcess, type StdioOptions } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import { helperPath } from "../sys/paths.ts";
import { errnoText } from "./linux.ts";
import { encodePlan } from "./plan/encode.ts";
import { REPORT_SIZE, Report } from "./plan/ops.ts";
import type { Plan } from "./plan/types.ts";

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
  child: ChildProcess;
  /** the container's host pid, once the helper reported it */
  pid: Promise<number>;
  /** resolves when the init reported ready (setup done); rejects with a StepError */
  ready: Promise<number>;
  /** the helper's exit code (in foreground mode: the container's status) */
  exit: Promise<number>;
}

export interface HelperStdio {
  stdin?: "inherit" | "ignore" | number;
  stdout?: "inherit" | "ignore" | number;
  stderr?: "inherit" | "ignore" | number;
  /** fds 3.. of ours to pass through at the same numbers */
  preserveFds?: number;
  detached?: boolean;
}

export function runHelper(plan: Plan, io: HelperStdio = {}): HelperRun {
  const stdio: StdioOptions = [io.stdin ?? "inherit", io.stdout ?? "inherit", io.stderr ?? "inherit"];
  for (let i = 0; i < (io.preserveFds ?? 0); i++) stdio.push(3 + i);
  stdio[plan.planFd] = "pipe";
  stdio[plan.syncFd] = "pipe";
  const child = spawn(helperPath(), [String(plan.planFd), String(plan.syncFd)], {
    stdio,
    detached: io.detached ?? false,
  });
  const planPipe = child.stdio[plan.planFd] as Writable;
  const syncPipe = child.stdio[plan.syncFd] as Readable;
  planPipe.on("error", () => {});
  planPipe.end(encodePlan(plan));

  let resolvePid!: (n: number) => void;
  let rejectPid!: (e: Error) => void;
  let resolveReady!: (n: number) => void;
  let rejectReady!: (e: Error) => void;
  const pid = new Promise<number>((res, rej) => ((resolvePid = res), (rejectPid = rej)));
  const ready = new Promise<number>((res, rej) => ((resolveReady = res), (rejectReady = rej)));
  pid.catch(() => {});
  ready.catch(() => {});
  let buf = Buffer.alloc(0);
  let settled = false;
  syncPipe.on("data", (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= REPORT_SIZE) {
      const rec = buf.subarray(0, REPORT_SIZE);
      buf = buf.subarray(REPORT_SIZE);
      const kind = rec.readUInt32LE(0);
      const step = rec.readInt32LE(4);
      const err = rec.readInt32LE(8);
      const value = rec.readInt32LE(12);
      const detail = rec.subarray(16).toString("utf8").replace(/\0.*$/s, "");
      if (kind === Report.PID) resolvePid(value);
      else if (kind === Report.READY) {
        settled = true;
        resolveReady(value);
      } else if (kind === Report.ERROR) {
        settled = true;
        const what = plan.steps[step]?.what ?? (detail || "berth-init");
        const e = new StepError(step, err, what, detail);
        rejectPid(e);
        rejectReady(e);
      }
    }
  });
  const exit = new Promise<number>((res) => {
    child.on("error", (e) => {
      rejectPid(e);
      rejectReady(e);
      res(255);
    });
    child.on("exit", (code, sig) => res(code ?? 128 + (sig ? signalNumber(sig) : 0)));
  });
  syncPipe.on("end", () => {
    if (!settled) {
      const e = new Error("container init exited before it was ready");
      rejectPid(e);
      rejectReady(e);
    }
  });
  return { child, pid, ready, exit };
}

function signalNumber(sig: NodeJS.Signals): number {
  const map: Record<string, number> = { SIGKILL: 9, SIGTERM: 15, SIGINT: 2, SIGHUP: 1, SIGSEGV: 11, SIGABRT: 6 };
  return map[sig] ?? 0;
}
