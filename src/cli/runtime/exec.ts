// exec: runc's `exec`, with --process FILE or the flags, into a running container.
import { readFileSync } from "node:fs";
import { parseFlags, str, bool, int, list, UsageError } from "../flags.ts";
import type { RuntimeCtx } from "../runtime.ts";
import { warmCgroupAttach } from "../../runtime/cgroups/warm.ts";
import { execInContainer } from "../../runtime/ops/exec.ts";
import type { Process } from "../../runtime/spec.ts";
import { FORWARDED_SIGNALS } from "../../runtime/linux.ts";


export default async function exec(ctx: RuntimeCtx): Promise<number> {
  // the kernel's first cgroup migration waits for an RCU grace period: start it now, in the background
  warmCgroupAttach();
  const p = parseFlags(
    ctx.args,
    [
      { name: "process", short: "p", kind: "string" },
      { name: "detach", short: "d", kind: "bool" },
      { name: "pid-file", kind: "string" },
      { name: "console-socket", kind: "string" },
      { name: "tty", short: "t", kind: "bool" },
      { name: "cwd", kind: "string" },
      { name: "env", short: "e", kind: "list" },
      { name: "user", short: "u", kind: "string" },
      { name: "additional-gids", short: "g", kind: "list" },
      { name: "cap", short: "c", kind: "list" },
      { name: "no-new-privs", kind: "bool" },
      { name: "preserve-fds", kind: "int" },
      { name: "ignore-paused", kind: "bool" },
      { name: "apparmor", kind: "string" },
      { name: "process-label", kind: "string" },
      { name: "cgroup", kind: "string" },
    ],
    false,
  );
  const [id, ...cmd] = p.args;
  if (!id) throw new UsageError('"exec" requires a container id');
  const s = ctx.store.load(id);
  let proc: Process;
  const file = str(p, "process");
  if (file) {
    try {
      proc = JSON.parse(readFileSync(file, "utf8")) as Process;
    } catch (e) {
      throw new Error(`--process ${file}: ${(e as Error).message}`);
    }
  } else {
    if (cmd.length === 0) throw new UsageError('"exec" requires a command (or --process)');
    const base = s.config.process!;
    const user = str(p, "user");
    const [uid, gid] = user ? user.split(":").map(Number) : [base.user.uid, base.user.gid];
    if (user && (!Number.isInteger(uid) || (gid !== undefined && !Number.isInteger(gid)))) throw new UsageError(`--user ${user}: expected UID[:GID]`);
    const caps = list(p, "cap");
    const addCaps = (set: string[] | undefined) => [...new Set([...(set ?? []), ...caps])];
    proc = {
      ...base,
      terminal: bool(p, "tty"),
      args: cmd,
      env: [...(base.env ?? []), ...list(p, "env")],
      cwd: str(p, "cwd") ?? base.cwd,
      user: { ...base.user, uid: uid!, gid: gid ?? base.user.gid, additionalGids: list(p, "additional-gids").length ? list(p, "additional-gids").map(Number) : base.user.additionalGids },
      noNewPrivileges: bool(p, "no-new-privs") || base.noNewPrivileges,
      capabilities: caps.length
        ? { bounding: addCaps(base.capabilities?.bounding), effective: addCaps(base.capabilities?.effective), permitted: addCaps(base.capabilities?.permitted), inheritable: base.capabilities?.inheritable, ambient: base.capabilities?.ambient }
        : base.capabilities,
    };
  }
  const r = await execInContainer(ctx.store, id, {
    process: proc,
    detach: bool(p, "detach"),
    pidFile: str(p, "pid-file"),
    consoleSocket: str(p, "console-socket"),
    preserveFds: int(p, "preserve-fds") ?? 0,
  });
  if (bool(p, "detach")) return 0;
  for (const sig of FORWARDED_SIGNALS) process.on(sig, () => r.helper.child.kill(sig));
  return r.exit;
}
