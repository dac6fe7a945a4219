// berth system df [OPTIONS]: images, containers (writable layers), local volumes, build cache.
import { bool, parseFlags, str, UsageError } from "../flags.ts";
import { diskUsage, shortId } from "../../image/index.ts";
import { containerRecords, dirSize, volumeUsage } from "../../engine/volumes/index.ts";
import { ago, familiarTag, formatRows, humanSize, tabulate } from "./image-util.ts";
import { join } from "node:path";
import { writeStdout } from "../../sys/io.ts";

/** docker's units.HumanSize: 4 significant digits */
const size4 = (n: number): string => humanSize(n, 4);

const reclaim = (r: number, total: number): string => (total > 0 ? `${size4(r)} (${Math.floor((r * 100) / total)}%)` : size4(r));

const HEADERS = { Type: "TYPE", TotalCount: "TOTAL", Active: "ACTIVE", Size: "SIZE", Reclaimable: "RECLAIMABLE" };

export default async function systemDf(argv: string[]): Promise<number> {
  const p = parseFlags(argv, [
    { name: "verbose", short: "v", kind: "bool" },
    { name: "format", kind: "string" },
  ]);
  if (p.args.length > 0) throw new UsageError('"system df" accepts no arguments.');
  const imgs = diskUsage();
  const ctrs = containerRecords().map((c) => ({ ...c, size: dirSize(join(c.dir, "diff")) }));
  const vols = volumeUsage();

  const ctrSize = ctrs.reduce((a, c) => a + c.size, 0);
  const ctrReclaim = ctrs.filter((c) => !c.running).reduce((a, c) => a + c.size, 0);
  const volSize = vols.reduce((a, v) => a + v.size, 0);
  const volReclaim = vols.filter((v) => v.refCount === 0).reduce((a, v) => a + v.size, 0);
  const rows = [
    { Type: "Images", TotalCount: imgs.images.length, Active: imgs.images.filter((i) => i.containers > 0).length, Size: size4(imgs.layersSize), Reclaimable: reclaim(imgs.reclaimable, imgs.layersSize) },
    { Type: "Containers", TotalCount: ctrs.length, Active: ctrs.filter((c) => c.running).length, Size: size4(ctrSize), Reclaimable: reclaim(ctrReclaim, ctrSize) },
    { Type: "Local Volumes", TotalCount: vols.length, Active: vols.filter((v) => v.refCount > 0).length, Size: size4(volSize), Reclaimable: reclaim(volReclaim, volSize) },
    { Type: "Build Cache", TotalCount: 0, Active: 0, Size: "0B", Reclaimable: "0B" },
  ];

  const fmt = str(p, "format");
  if (!bool(p, "verbose")) {
    writeStdout(formatRows(fmt ?? "table", rows, HEADERS));
    return 0;
  }
  if (fmt) throw new UsageError("--format is not supported with --verbose");
  const out: string[] = [];
  const section = (title: string, table: string[][]) => out.push(`${title}\n\n${tabulate(table)}\n`);
  const imgRows = imgs.images.flatMap((i) => {
    const tags = i.repoTags.length ? i.repoTags.map(familiarTag) : ["<none>:<none>"];
    return tags.map((t) => {
      const c = t.lastIndexOf(":");
      return [t.slice(0, c), t.slice(c + 1), shortId(i.id), ago(i.created), size4(i.size), size4(i.sharedSize), size4(i.uniqueSize), String(i.containers)];
    });
  });
  section("Images space usage:", [["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE", "SHARED SIZE", "UNIQUE SIZE", "CONTAINERS"], ...imgRows]);
  section("Containers space usage:", [
    ["CONTAINER ID", "IMAGE", "COMMAND", "LOCAL VOLUMES", "SIZE", "CREATED", "STATUS", "NAMES"],
    ...ctrs.map((c) => [c.id.slice(0, 12), shortId(c.image), JSON.stringify(c.command.length > 20 ? `${c.command.slice(0, 19)}…` : c.command), String(c.volumes.length), size4(c.size), c.created ? ago(c.created) : "", c.status, c.name]),
  ]);
  section("Local Volumes space usage:", [["VOLUME NAME", "LINKS", "SIZE"], ...vols.map((v) => [v.name, String(v.refCount), size4(v.size)])]);
  out.push("Build cache usage: 0B\n\nCACHE ID   CACHE TYPE   SIZE   CREATED   LAST USED   USAGE   SHARED\n");
  writeStdout(out.join("\n"));
  return 0;
}
