// Shared by the container commands: error printing with Docker's exit codes, container lookup,
// synchronous output (a container's output must not be lost when berth exits).
import { writeFd } from "../../sys/io.ts";
import { UsageError } from "../flags.ts";
import { ConflictError, ExecError, NoSuchContainerError } from "../../engine/model.ts";
import { ImageNotFoundError } from "../../engine/ops/create.ts";
import { resolveId } from "../../engine/store.ts";

/** a container's output, written synchronously so nothing is lost when berth exits */
export const out = (fd: 1 | 2, data: Uint8Array | string): void => writeFd(fd, data);

export function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Docker's CLI: "Error response from daemon: ..." and status 1 for most commands. */
export function daemonError(e: unknown): number {
  if (e instanceof UsageError) {
    out(2, `berth: ${e.message}\n`);
    return 125;
  }
  out(2, `Error response from daemon: ${errText(e)}\n`);
  return 1;
}

/** run/create: "berth: <msg>." with 125, or the exec error's 126/127. */
export function runError(e: unknown, cmd: string): number {
  if (e instanceof UsageError) {
    out(2, `berth: ${e.message}\nSee 'berth ${cmd} --help'.\n`);
    return 125;
  }
  const code = e instanceof ExecError ? e.code : 125;
  const prefix = e instanceof ImageNotFoundError ? "" : "Error response from daemon: ";
  out(2, `berth: ${prefix}${errText(e)}\n`);
  if (process.env.BERTH_DEBUG && e instanceof Error) out(2, `${e.stack}\n`);
  return code;
}

export { resolveId, NoSuchContainerError, ConflictError };

/** Apply `fn` to each named container (Docker prints each name as given, errors per container). */
export async function eachContainer(refs: string[], fn: (id: string, ref: string) => Promise<void>, quiet = false): Promise<number> {
  let code = 0;
  for (const ref of refs) {
    try {
      const id = resolveId(ref);
      await fn(id, ref);
      if (!quiet) out(1, `${ref}\n`);
    } catch (e) {
      out(2, `Error response from daemon: ${errText(e)}\n`);
      code = 1;
    }
  }
  return code;
}
