// berth images [OPTIONS] [REPOSITORY[:TAG]]   (also: image ls)
import { bool, list, parseFlags, str, UsageError } from "../flags.ts";
import { containersUsing, listImages, type ImageRecord } from "../../image/index.ts";
import { familiarName, splitNamed } from "../../image/reference.ts";
import { ago, formatRows, humanSize } from "./image-util.ts";
import { writeStdout } from "../../sys/io.ts";

interface Row {
  ID: string;
  Repository: string;
  Tag: string;
  Digest: string;
  CreatedSince: string;
  CreatedAt: string;
  Size: string;
  VirtualSize: string;
  SharedSize: string;
  UniqueSize: string;
  Containers: string;
  [k: string]: unknown;
}

function globToRe(g: string): RegExp {
  return new RegExp(`^${g.replace(/[.+^${}()|\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]")}$`);
}

function matchRef(pattern: string, repo: string, tag: string): boolean {
  const p = splitNamed(pattern);
  if (!globToRe(p.name).test(repo) && !globToRe(p.name).test(familiarName(repo))) return false;
  if (p.tag !== undefined && !globToRe(p.tag).test(tag)) return false;
  return true;
}

export default async function images(argv: string[]): Promise<number> {
  const p = parseFlags(argv, [
    { name: "all", short: "a", kind: "bool" },
    { name: "quiet", short: "q", kind: "bool" },
    { name: "digests", kind: "bool" },
    { name: "no-trunc", kind: "bool" },
    { name: "filter", short: "f", kind: "list" },
    { name: "format", kind: "string" },
    { name: "tree", kind: "bool" },
  ]);
  if (p.args.length > 1) throw new UsageError('"images" requires at most 1 argument.');
  const noTrunc = bool(p, "no-trunc");
  let imgs = listImages();
  const filters = list(p, "filter").map((f) => {
    const i = f.indexOf("=");
    if (i < 0) throw new UsageError(`bad format of filter (expected name=value): ${f}`);
    return [f.slice(0, i), f.slice(i + 1)] as const;
  });
  const refFilters: string[] = p.args.length ? [p.args[0]!] : [];
  const byId = (s: string): ImageRecord | undefined => imgs.find((i) => i.id === s || i.id.slice(7).startsWith(s.replace(/^sha256:/, "")) || i.repoTags.some((t) => t === s || familiarName(splitNamed(t).name) + ":" + splitNamed(t).tag === s || familiarName(splitNamed(t).name) === s));
  for (const [k, v] of filters) {
    switch (k) {
      case "dangling":
        if (v !== "true" && v !== "false") throw new UsageError(`invalid filter 'dangling=${v}'`);
        imgs = imgs.filter((i) => (i.repoTags.length === 0) === (v === "true"));
        break;
      case "reference":
        refFilters.push(v);
        break;
      case "before": {
        const b = byId(v);
        if (!b) throw new Error(`No such image: ${v}`);
        imgs = imgs.filter((i) => i.created < b.created);
        break;
      }
      case "since": {
        const b = byId(v);
        if (!b) throw new Error(`No such image: ${v}`);
        imgs = imgs.filter((i) => i.created > b.created);
        break;
      }
      case "label":
        // labels live in the config; read lazily
        {
          const { imageConfig } = await import("../../image/index.ts");
          const [lk, lv] = v.split("=");
          imgs = imgs.filter((i) => {
            const labels = imageConfig(i.id).config?.Labels ?? {};
            return lk! in labels && (lv === undefined || labels[lk!] === lv);
          });
        }
        break;
      case "until": {
        const t = /^\d+$/.test(v) ? Number(v) * 1000 : Date.parse(v);
        imgs = imgs.filter((i) => Date.parse(i.created) < t);
        break;
      }
      default:
        throw new UsageError(`invalid filter '${k}'`);
    }
  }
  const rows: Row[] = [];
  for (const img of imgs) {
    const base = {
      ID: noTrunc ? img.id : img.id.slice(7, 19),
      CreatedSince: ago(img.created),
      CreatedAt: new Date(img.created).toISOString().replace("T", " ").replace(/\.\d+Z$/, " +0000 UTC"),
      Size: humanSize(img.size),
      VirtualSize: humanSize(img.size),
      SharedSize: "N/A",
      UniqueSize: "N/A",
      Containers: "N/A",
    };
    const digestFor = (name: string) => img.repoDigests.find((d) => d.startsWith(`${name}@`))?.split("@")[1] ?? "<none>";
    const tagged = img.repoTags.map((t) => splitNamed(t));
    const entries = tagged.length > 0 ? tagged.map((t) => ({ name: t.name, tag: t.tag ?? "<none>" })) : img.repoDigests.length > 0 ? img.repoDigests.map((d) => ({ name: splitNamed(d).name, tag: "<none>" })) : [{ name: "", tag: "<none>" }];
    for (const e of entries) {
      if (refFilters.length && !refFilters.every((f) => e.name !== "" && matchRef(f, e.name, e.tag))) continue;
      rows.push({ ...base, Repository: e.name ? familiarName(e.name) : "<none>", Tag: e.tag, Digest: e.name ? digestFor(e.name) : "<none>" });
    }
  }
  void containersUsing;
  if (bool(p, "quiet")) {
    const seen = new Set<string>();
    for (const r of rows) if (!seen.has(r.ID)) (seen.add(r.ID), writeStdout(`${r.ID}\n`));
    return 0;
  }
  const headers = { Repository: "REPOSITORY", Tag: "TAG", Digest: "DIGEST", ID: "IMAGE ID", CreatedSince: "CREATED", CreatedAt: "CREATED AT", Size: "SIZE", Containers: "CONTAINERS", SharedSize: "SHARED SIZE", UniqueSize: "UNIQUE SIZE", VirtualSize: "VIRTUAL SIZE" };
  const fmt = str(p, "format") ?? (bool(p, "digests") ? "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}" : "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}");
  writeStdout(formatRows(fmt, rows, headers));
  return 0;
}
