import { parseFlags, str, bool } from "../flags.ts";
import type { RuntimeCtx } from "../runtime.ts";
import { statusOf } from "../../runtime/ops/common.ts";
import { writeStderr, writeStdout } from "../../sys/io.ts";

export default async function list(ctx: RuntimeCtx): Promise<number> {
  const p = parseFlags(ctx.args, [
    { name: "format", short: "f", kind: "string" },
    { name: "quiet", short: "q", kind: "bool" },
  ]);
  // as runc: a container whose state cannot be read is reported on stderr and left out
  const rows = ctx.store.ids().flatMap((id) => {
    let s;
    try {
      s = ctx.store.load(id);
    } catch (e) {
      writeStderr(`berth-runtime: ${(e as Error).message}\n`);
      return [];
    }
    const status = statusOf(s, ctx.store);
    return [{ ociVersion: s.ociVersion, id, pid: status === "stopped" ? 0 : s.pid, status, bundle: s.bundle, rootfs: s.rootfs, created: s.created, owner: s.owner }];
  });
  if (bool(p, "quiet")) writeStdout(rows.map((r) => `${r.id}\n`).join(""));
  else if (str(p, "format") === "json") writeStdout(`${JSON.stringify(rows)}\n`);
  else {
    const table = [["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"], ...rows.map((r) => [r.id, String(r.pid), r.status, r.bundle, r.created, r.owner])];
    const w = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
    writeStdout(table.map((row) => row.map((c, i) => (i < row.length - 1 ? c.padEnd(w[i]! + 3) : c)).join("")).join("\n") + "\n");
  }
  return 0;
}
