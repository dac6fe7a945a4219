// berth history [OPTIONS] IMAGE   (also: image history)
import { bool, parseFlags, str, UsageError } from "../flags.ts";
import { imageHistory } from "../../image/index.ts";
import { ago, fail, formatRows, humanSize } from "./image-util.ts";
import { writeStdout } from "../../sys/io.ts";

export default async function history(argv: string[]): Promise<number> {
  const p = parseFlags(argv, [
    { name: "human", short: "H", kind: "bool" },
    { name: "no-trunc", kind: "bool" },
    { name: "quiet", short: "q", kind: "bool" },
    { name: "format", kind: "string" },
    { name: "platform", kind: "string" },
  ]);
  if (p.args.length !== 1) throw new UsageError('"history" requires exactly 1 argument.');
  const human = p.flags.get("human") !== false;
  const noTrunc = bool(p, "no-trunc");
  let items;
  try {
    items = imageHistory(p.args[0]!);
  } catch (e) {
    return fail(e);
  }
  const rows = items.map((h) => {
    let by = h.createdBy.replace(/\s+/g, " ");
    if (!noTrunc && by.length > 45) by = `${by.slice(0, 44)}…`;
    return {
      ID: h.id === "<missing>" || noTrunc ? h.id : h.id.slice(7, 19),
      CreatedSince: human ? ago(h.created) : h.created,
      CreatedAt: h.created,
      CreatedBy: by,
      Size: human ? humanSize(h.size) : String(h.size),
      Comment: h.comment,
    };
  });
  if (bool(p, "quiet")) {
    for (const r of rows) writeStdout(`${r.ID}\n`);
    return 0;
  }
  const fmt = str(p, "format") ?? "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}";
  writeStdout(formatRows(fmt, rows, { ID: "IMAGE", CreatedSince: "CREATED", CreatedAt: "CREATED AT", CreatedBy: "CREATED BY", Size: "SIZE", Comment: "COMMENT" }));
  return 0;
}
