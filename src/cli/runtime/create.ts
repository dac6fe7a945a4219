import { parseFlags, str, bool, int, oneId, type Parsed } from "../flags.ts";
import type { RuntimeCtx } from "../runtime.ts";
import { warmCgroupAttach } from "../../runtime/cgroups/warm.ts";
import { createContainer, type CreateOptions } from "../../runtime/ops/create.ts";

export const CREATE_FLAGS = [
  { name: "bundle", short: "b", kind: "string" as const },
  { name: "pid-file", kind: "string" as const },
  { name: "console-socket", kind: "string" as const },
  { name: "no-pivot", kind: "bool" as const },
  { name: "no-new-keyring", kind: "bool" as const },
  { name: "preserve-fds", kind: "int" as const },
  { name: "detach", short: "d", kind: "bool" as const },
  { name: "keep", kind: "bool" as const },
];

/** create's and run's shared flags as the runtime's options */
export function createOptions(p: Parsed, id: string): CreateOptions {
  return {
    id,
    bundle: str(p, "bundle") ?? process.cwd(),
    pidFile: str(p, "pid-file"),
    consoleSocket: str(p, "console-socket"),
    noPivot: bool(p, "no-pivot"),
    noNewKeyring: bool(p, "no-new-keyring"),
    preserveFds: int(p, "preserve-fds") ?? 0,
  };
}

export default async function create(ctx: RuntimeCtx): Promise<number> {
  // the kernel's first cgroup migration waits for an RCU grace period: start it now, in the background
  warmCgroupAttach();
  const p = parseFlags(ctx.args, CREATE_FLAGS);
  await createContainer(ctx.store, createOptions(p, oneId(p.args, "create")));
  return 0;
}
