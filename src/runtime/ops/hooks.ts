// OCI hooks: run with the container's state on stdin, in the runtime's namespaces, each with
// its timeout. Which failures abort the lifecycle is the caller's call (runtime-spec config.md:
// prestart/createRuntime/createContainer/startContainer abort; poststart/poststop only warn).
import type { Hook, Hooks } from "../spec.ts";
import type { ContainerState, Status } from "../state.ts";
import { writeStderr } from "../../sys/io.ts";

export class HookError extends Error {
  override name = "HookError";
}

export function stateJson(s: ContainerState, status: Status, pid = s.pid): string {
  return JSON.stringify({ ociVersion: s.ociVersion, id: s.id, status, pid, bundle: s.bundle, annotations: s.annotations ?? {} });
}

export async function runHooks(kind: keyof Hooks, hooks: Hook[] | undefined, state: string): Promise<void> {
  for (const [i, h] of (hooks ?? []).entries()) {
    const where = `hooks.${kind}[${i}] (${h.path})`;
    const [argv0, ...rest] = h.args?.length ? h.args : [h.path];
    let proc: ReturnType<typeof Bun.spawn>;
    try {
      proc = Bun.spawn([h.path, ...rest], { argv0, env: envOf(h.env), stdin: new TextEncoder().encode(state), stdout: "pipe", stderr: "pipe" });
    } catch (e) {
      throw new HookError(`${where}: cannot run: ${(e as Error).message}`);
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = h.timeout
      ? new Promise<"timeout">((res) => {
          timer = setTimeout(() => res("timeout"), h.timeout! * 1000);
        })
      : new Promise<never>(() => {});
    const r = await Promise.race([proc.exited, timedOut]);
    if (timer) clearTimeout(timer);
    if (r === "timeout") {
      proc.kill(9);
      throw new HookError(`${where}: timed out after ${h.timeout}s`);
    }
    if (r !== 0) {
      const err = (await new Response(proc.stderr as ReadableStream).text()).trim();
      throw new HookError(`${where}: exited with status ${r}${err ? `: ${err}` : ""}`);
    }
  }
}

function envOf(env: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of env ?? []) {
    const i = e.indexOf("=");
    if (i > 0) out[e.slice(0, i)] = e.slice(i + 1);
  }
  return out;
}

export function warn(msg: string): void {
  writeStderr(`berth-runtime: warning: ${msg}\n`);
}
