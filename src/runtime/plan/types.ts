import type { OpName } from "./ops.ts";

/** One argument: integers (64-bit; bigint for masks) or bytes (strings are sent as UTF-8). */
export type Arg = number | bigint | string | Uint8Array;

export interface Step {
  op: OpName;
  args: Arg[];
  /** what the step does, in words: shown by `plan` and in errors ("mount proc on /proc") */
  what: string;
  /** which process runs it: the helper before/after clone, or the container's init */
  who: "parent" | "child";
}

export interface Plan {
  steps: Step[];
  /** the fds the helper reads the plan from and reports on */
  planFd: number;
  syncFd: number;
}

/** The fds the helper reads its plan from and reports on: right after any preserved fds. */
export function helperFds(preserveFds = 0): { planFd: number; syncFd: number } {
  return { planFd: 3 + preserveFds, syncFd: 4 + preserveFds };
}
