// berth cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-
//          berth cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH
import { bool, parseFlags, UsageError } from "../flags.ts";
import { copyFromContainer, copyToContainer, type CopyOptions } from "../../engine/ops/cp.ts";
import { daemonError, out, resolveId } from "./container-util.ts";

/** "name:path" -> [name, path]; a local path with a slash before any colon is not a container's. */
function splitArg(a: string): { container?: string; path: string } {
  if (a.startsWith("/") || a.startsWith(".")) return { path: a };
  const i = a.indexOf(":");
  if (i <= 0) return { path: a };
  return { container: a.slice(0, i), path: a.slice(i + 1) };
}

async function* stdinChunks(): AsyncGenerator<Uint8Array> {
  for await (const c of process.stdin) yield c as Uint8Array;
}

export default async function cpCmd(args: string[]): Promise<number> {
  try {
    const p = parseFlags(args, [
      { name: "archive", short: "a", kind: "bool" },
      { name: "follow-link", short: "L", kind: "bool" },
      { name: "quiet", short: "q", kind: "bool" },
    ]);
    if (p.args.length !== 2) throw new UsageError('"berth cp" requires exactly 2 arguments.\n\nUsage:  berth cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tberth cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH');
    const src = splitArg(p.args[0]!);
    const dst = splitArg(p.args[1]!);
    const o: CopyOptions = { archive: bool(p, "archive"), followLink: bool(p, "follow-link") };
    if (src.container !== undefined && dst.container !== undefined) throw new UsageError("copying between containers is not supported");
    if (src.container === undefined && dst.container === undefined) throw new UsageError("must specify at least one container source");
    if (src.container !== undefined) {
      if (!src.path) throw new UsageError("filepath cannot be empty");
      await copyFromContainer(resolveId(src.container), src.path, dst.path, o, (b) => out(1, b));
    } else {
      if (!dst.path) throw new UsageError("filepath cannot be empty");
      await copyToContainer(resolveId(dst.container!), src.path, dst.path, o, stdinChunks);
    }
    return 0;
  } catch (e) {
    return daemonError(e);
  }
}
