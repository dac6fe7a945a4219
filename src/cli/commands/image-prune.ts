// berth image prune [OPTIONS]
import { bool, list, parseFlags, UsageError } from "../flags.ts";
import { imageConfig, pruneImages, type ImageRecord } from "../../image/index.ts";
import { familiarTag, humanSize } from "./image-util.ts";
import { writeStdout } from "../../sys/io.ts";

export default async function imagePrune(argv: string[]): Promise<number> {
  const p = parseFlags(argv, [
    { name: "all", short: "a", kind: "bool" },
    { name: "force", short: "f", kind: "bool" },
    { name: "filter", kind: "list" },
  ]);
  if (p.args.length > 0) throw new UsageError('"image prune" accepts no arguments.');
  const all = bool(p, "all");
  const preds: ((i: ImageRecord) => boolean)[] = [];
  for (const f of list(p, "filter")) {
    const i = f.indexOf("=");
    const k = f.slice(0, i);
    const v = f.slice(i + 1);
    if (k === "until") {
      const t = /^\d+$/.test(v) ? Number(v) * 1000 : /^\d+[smh]$/.test(v) ? Date.now() - Number(v.slice(0, -1)) * { s: 1e3, m: 6e4, h: 3.6e6 }[v.slice(-1) as "s" | "m" | "h"] : Date.parse(v);
      preds.push((img) => Date.parse(img.created) < t);
    } else if (k === "label" || k === "label!") {
      const [lk, lv] = v.split("=");
      const has = (img: ImageRecord) => {
        const l = imageConfig(img.id).config?.Labels ?? {};
        return lk! in l && (lv === undefined || l[lk!] === lv);
      };
      preds.push(k === "label" ? has : (img) => !has(img));
    } else throw new UsageError(`invalid filter '${k}'`);
  }
  if (!bool(p, "force")) {
    writeStdout(
      all
        ? "WARNING! This will remove all images without at least one container associated to them.\nAre you sure you want to continue? [y/N] "
        : "WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] ",
    );
    let answer = "";
    for await (const c of process.stdin) {
      answer += (c as Buffer).toString();
      if (answer.includes("\n")) break;
    }
    if (!/^y(es)?$/i.test(answer.trim())) return 0;
  }
  const r = await pruneImages({ all, filter: (i) => preds.every((f) => f(i)) });
  if (r.deleted.length || r.untagged.length) {
    writeStdout("Deleted Images:\n");
    for (const u of r.untagged) writeStdout(`untagged: ${familiarTag(u)}\n`);
    for (const d of r.deleted) writeStdout(`deleted: ${d}\n`);
    writeStdout("\n");
  }
  writeStdout(`Total reclaimed space: ${humanSize(r.spaceReclaimed)}\n`);
  return 0;
}
