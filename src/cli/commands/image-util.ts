// Shared by the image commands: Docker-style output (tables, sizes, "x ago", Go-template
// --format), inspect shapes, and reading archives from files or stdin.
import { openSync, readSync, closeSync } from "node:fs";
import { familiarName, splitNamed } from "../../image/reference.ts";
import type { ImageConfig, ImageRecord } from "../../image/index.ts";
import { layerDir } from "../../image/store/layers.ts";
import { writeStderr } from "../../sys/io.ts";

/** docker's units.HumanSizeWithPrecision(n, precision): decimal units, 3 significant digits
 *  by default (docker images), 4 for units.HumanSize (system df). */
export function humanSize(n: number, precision = 3): string {
  const units = ["B", "kB", "MB", "GB", "TB", "PB"];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${parseFloat(v.toPrecision(precision))}${units[i]}`;
}

/** docker's units.HumanDuration. */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 1) return "Less than a second";
  if (s === 1) return "1 second";
  if (s < 60) return `${s} seconds`;
  const m = Math.floor(s / 60);
  if (m === 1) return "About a minute";
  if (m < 60) return `${m} minutes`;
  const h = Math.round(s / 3600);
  if (h === 1) return "About an hour";
  if (h < 48) return `${h} hours`;
  if (h < 24 * 7 * 2) return `${Math.floor(h / 24)} days`;
  if (h < 24 * 30 * 2) return `${Math.floor(h / 24 / 7)} weeks`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24 / 30)} months`;
  return `${Math.floor(h / 24 / 365)} years`;
}

export function ago(iso: string): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t) || t <= 0) return "N/A";
  return `${humanDuration(Date.now() - t)} ago`;
}

/** Go's text/tabwriter as Docker uses it (minwidth 10, padding 3): cells separated by \t. */
export function tabulate(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(Math.max(10, widths[i]! + 3)))).join(""))
    .map((l) => l.replace(/\s+$/, ""))
    .join("\n");
}

function lookup(v: unknown, path: string): unknown {
  let cur = v;
  for (const k of path.split(".").filter((x) => x)) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

function show(v: unknown): string {
  if (v === undefined || v === null) return "<no value>";
  if (Array.isArray(v)) return `[${v.map(show).join(" ")}]`;
  if (typeof v === "object") return `map[${Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, x]) => `${k}:${show(x)}`).join(" ")}]`;
  return String(v);
}

/**
 * A small subset of Go templates: {{.A.B}}, {{json .}}, {{json .A}}, {{index .A "k"}},
 * {{join .A ","}}, {{lower .A}}, {{upper .A}}, {{println}}, and \t \n escapes.
 */
export function renderTemplate(tpl: string, data: unknown): string {
  return tpl
    .replace(/\\t/g, "\t")
    .replace(/\\n/g, "\n")
    .replace(/\{\{-?\s*(.*?)\s*-?\}\}/g, (_m, expr: string) => {
      const parts = expr.match(/"[^"]*"|\S+/g) ?? [];
      const arg = (s: string | undefined): unknown => (s === undefined ? undefined : s.startsWith('"') ? s.slice(1, -1) : s === "." ? data : s.startsWith(".") ? lookup(data, s) : s);
      const fn = parts[0] ?? "";
      if (fn.startsWith(".")) return show(lookup(data, fn));
      switch (fn) {
        case "json":
          return JSON.stringify(arg(parts[1]) ?? null);
        case "index": {
          const o = arg(parts[1]);
          const k = arg(parts[2]);
          return show(o && typeof o === "object" ? (o as Record<string, unknown>)[String(k)] : undefined);
        }
        case "join": {
          const a = arg(parts[1]);
          return Array.isArray(a) ? a.map(String).join(String(arg(parts[2]) ?? "")) : "";
        }
        case "lower":
          return String(arg(parts[1]) ?? "").toLowerCase();
        case "upper":
          return String(arg(parts[1]) ?? "").toUpperCase();
        case "println":
          return "\n";
        default:
          throw new Error(`template: unsupported expression "{{${expr}}}"`);
      }
    });
}

/** Render rows with --format: "table ..." gives a header row (field names upper-cased). */
export function formatRows(format: string, rows: Record<string, unknown>[], headers: Record<string, string>): string {
  if (format === "json") return rows.map((r) => JSON.stringify(r)).join("\n") + (rows.length ? "\n" : "");
  if (format.startsWith("table")) {
    const tpl = format.slice(5).trim() || Object.keys(headers).map((k) => `{{.${k}}}`).join("\t");
    const head = tpl.replace(/\{\{\s*\.(\w+)\s*\}\}/g, (_m, k: string) => headers[k] ?? k.toUpperCase());
    const lines = [head, ...rows.map((r) => renderTemplate(tpl, r))].map((l) => l.replace(/\\t/g, "\t").split("\t"));
    return tabulate(lines) + "\n";
  }
  return rows.map((r) => renderTemplate(format, r) + "\n").join("");
}

export function familiarTag(t: string): string {
  const p = splitNamed(t);
  return `${familiarName(p.name)}${p.tag !== undefined ? `:${p.tag}` : ""}${p.digest !== undefined ? `@${p.digest}` : ""}`;
}

/** The `docker image inspect` document for an image. */
export function inspectImage(img: ImageRecord, cfg: ImageConfig): Record<string, unknown> {
  const lower = img.layers.map((l) => layerDir(l.diffId)).reverse();
  return {
    Id: img.id,
    RepoTags: img.repoTags.map(familiarTag),
    RepoDigests: img.repoDigests.map(familiarTag),
    Parent: "",
    Comment: cfg.history?.[cfg.history.length - 1]?.comment ?? "",
    Created: cfg.created ?? img.created,
    DockerVersion: "",
    Author: cfg.author ?? "",
    Config: {
      Hostname: "",
      Domainname: "",
      User: cfg.config?.User ?? "",
      AttachStdin: false,
      AttachStdout: false,
      AttachStderr: false,
      ...(cfg.config?.ExposedPorts ? { ExposedPorts: cfg.config.ExposedPorts } : {}),
      Tty: false,
      OpenStdin: false,
      StdinOnce: false,
      Env: cfg.config?.Env ?? null,
      Cmd: cfg.config?.Cmd ?? null,
      ...(cfg.config?.Healthcheck ? { Healthcheck: cfg.config.Healthcheck } : {}),
      Image: "",
      Volumes: cfg.config?.Volumes ?? null,
      WorkingDir: cfg.config?.WorkingDir ?? "",
      Entrypoint: cfg.config?.Entrypoint ?? null,
      OnBuild: cfg.config?.OnBuild ?? null,
      Labels: cfg.config?.Labels ?? null,
      ...(cfg.config?.StopSignal ? { StopSignal: cfg.config.StopSignal } : {}),
    },
    Architecture: cfg.architecture,
    ...(cfg.variant ? { Variant: cfg.variant } : {}),
    Os: cfg.os,
    Size: img.size,
    GraphDriver: {
      Data: lower.length > 1 ? { LowerDir: lower.slice(1).join(":"), MergedDir: "", UpperDir: lower[0], WorkDir: "" } : { LowerDir: lower[0] ?? "" },
      Name: "overlay2",
    },
    RootFS: { Type: "layers", Layers: img.layers.map((l) => l.diffId) },
    Metadata: { LastTagTime: img.added },
  };
}

/** A file (or stdin for "-" / undefined) as chunks. */
export async function* inputChunks(path: string | undefined): AsyncGenerator<Uint8Array> {
  if (path && path !== "-") {
    const fd = openSync(path, "r");
    try {
      for (;;) {
        const b = Buffer.allocUnsafe(1 << 20);
        const n = readSync(fd, b, 0, b.length, null);
        if (n <= 0) return;
        yield b.subarray(0, n);
      }
    } finally {
      closeSync(fd);
    }
  }
  for await (const c of process.stdin) yield c as Buffer;
}

export function errMsg(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Print an error the way Docker's CLI does and give the exit status. */
export function fail(e: unknown, code = 1): number {
  writeStderr(`Error response from daemon: ${errMsg(e)}\n`);
  return code;
}
