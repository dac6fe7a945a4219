// berth volume ls [OPTIONS]
import { bool, list, parseFlags, str, UsageError } from "../flags.ts";
import { listVolumes, type VolumeFilter } from "../../engine/volumes/index.ts";
import { fail, formatRows } from "./image-util.ts";
import { VOLUME_HEADERS, volumeRow } from "./volume-util.ts";
import { writeStdout } from "../../sys/io.ts";

function parseFilter(specs: string[]): VolumeFilter {
  const f: VolumeFilter = {};
  for (const s of specs) {
    const i = s.indexOf("=");
    const k = i < 0 ? s : s.slice(0, i);
    const v = i < 0 ? "" : s.slice(i + 1);
    if (k === "dangling") {
      if (!/^(true|false|1|0)$/i.test(v)) throw new Error(`invalid filter 'dangling=${v}'`);
      f.dangling = /^(true|1)$/i.test(v);
    } else if (k === "name") (f.name ??= []).push(v);
    else if (k === "label") (f.label ??= []).push(v);
    else if (k === "label!") (f.labelNot ??= []).push(v);
    else if (k === "driver") (f.driver ??= []).push(v);
    else throw new Error(`invalid filter '${k}'`);
  }
  return f;
}

export default async function volumeLs(argv: string[]): Promise<number> {
  const p = parseFlags(argv, [
    { name: "quiet", short: "q", kind: "bool" },
    { name: "filter", short: "f", kind: "list" },
    { name: "format", kind: "string" },
  ]);
  if (p.args.length > 0) throw new UsageError('"volume ls" accepts no arguments.');
  let filter: VolumeFilter;
  try {
    filter = parseFilter(list(p, "filter"));
  } catch (e) {
    return fail(e);
  }
  const vols = listVolumes(filter);
  if (bool(p, "quiet")) {
    writeStdout(vols.map((v) => `${v.name}\n`).join(""));
    return 0;
  }
  const fmt = str(p, "format") ?? "table {{.Driver}}\t{{.Name}}";
  writeStdout(formatRows(fmt, vols.map(volumeRow), VOLUME_HEADERS));
  return 0;
}
