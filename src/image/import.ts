// berth import: a root filesystem tar (plain, gzip or zstd) becomes a one-layer image.
// The archive as given is kept as the layer blob.
import { createHash } from "node:crypto";
import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { applyLayer, fileChunks, sniffCompression } from "./layer/apply.ts";
import { hostPlatform, MT, type ContainerConfig, type ImageConfig } from "./manifest.ts";
import { normalizeReference, repoName } from "./reference.ts";
import { blobPath, hasBlob, ingestDir, writeBlob } from "./store/content.ts";
import type { ImageRecord } from "./store/images.ts";
import { commitLayer, hasLayer, newLayerTemp } from "./store/layers.ts";
import { Lease } from "./store/leases.ts";
import { recordImage } from "./store/record.ts";

export interface ImportOptions {
  /** "name[:tag]" to give the image */
  reference?: string;
  message?: string;
  /** Dockerfile instructions: CMD, ENTRYPOINT, ENV, WORKDIR, USER, EXPOSE, VOLUME, LABEL, STOPSIGNAL */
  changes?: string[];
  /** shown in history ("-" for stdin, or the file name) */
  source?: string;
}

function words(v: string): string[] {
  const t = v.trim();
  if (t.startsWith("[")) {
    const a = JSON.parse(t) as unknown;
    if (Array.isArray(a) && a.every((x) => typeof x === "string")) return a as string[];
    throw new Error(`invalid JSON array in change "${v}"`);
  }
  return ["/bin/sh", "-c", t];
}

/** Apply Dockerfile-style --change instructions to a container config. */
export function applyChanges(cfg: ContainerConfig, changes: string[]): void {
  for (const ch of changes) {
    const m = /^\s*(\w+)\s+([\s\S]*)$/.exec(ch);
    if (!m) throw new Error(`invalid change "${ch}"`);
    const arg = m[2]!.trim();
    switch (m[1]!.toUpperCase()) {
      case "CMD":
        cfg.Cmd = words(arg);
        break;
      case "ENTRYPOINT":
        cfg.Entrypoint = words(arg);
        break;
      case "ENV": {
        const pairs = arg.includes("=") ? arg.split(/\s+/).map((p) => p.split("=")) : [[arg.split(/\s+/)[0]!, arg.split(/\s+/).slice(1).join(" ")]];
        cfg.Env ??= [];
        for (const [k, ...v] of pairs) {
          cfg.Env = cfg.Env.filter((e) => !e.startsWith(`${k}=`));
          cfg.Env.push(`${k}=${v.join("=").replace(/^"(.*)"$/, "$1")}`);
        }
        break;
      }
      case "WORKDIR":
        cfg.WorkingDir = arg;
        break;
      case "USER":
        cfg.User = arg;
        break;
      case "EXPOSE":
        cfg.ExposedPorts ??= {};
        for (const p of arg.split(/\s+/)) cfg.ExposedPorts[p.includes("/") ? p : `${p}/tcp`] = {};
        break;
      case "VOLUME":
        cfg.Volumes ??= {};
        for (const v of arg.startsWith("[") ? words(arg) : arg.split(/\s+/)) cfg.Volumes[v] = {};
        break;
      case "LABEL":
        cfg.Labels ??= {};
        for (const p of arg.match(/(?:[^\s"]+|"[^"]*")+/g) ?? []) {
          const [k, ...v] = p.split("=");
          cfg.Labels[k!.replace(/^"|"$/g, "")] = v.join("=").replace(/^"|"$/g, "");
        }
        break;
      case "STOPSIGNAL":
        cfg.StopSignal = arg;
        break;
      default:
        throw new Error(`${m[1]} is not a valid change command`);
    }
  }
}

export async function importImage(src: AsyncIterable<Uint8Array>, opts: ImportOptions = {}): Promise<ImageRecord> {
  mkdirSync(ingestDir(), { recursive: true });
  const tmpFile = join(ingestDir(), `import-${process.pid}-${Date.now()}`);
  const lease = new Lease();
  const dir = newLayerTemp();
  try {
    const h = createHash("sha256");
    const fd = openSync(tmpFile, "w", 0o600);
    let size = 0;
    let head = new Uint8Array(0);
    try {
      for await (const c of src) {
        if (head.length < 4) head = Buffer.concat([head, c.subarray(0, 4)]);
        h.update(c);
        size += c.length;
        let off = 0;
        while (off < c.length) off += writeSync(fd, c, off, c.length - off);
      }
    } finally {
      closeSync(fd);
    }
    const digest = `sha256:${h.digest("hex")}`;
    const compression = sniffCompression(head);
    lease.add(digest);
    const applied = await applyLayer(fileChunks(tmpFile), compression, dir, { whiteouts: false });
    lease.add(applied.diffId);
    if (!hasBlob(digest)) {
      mkdirSync(join(blobPath(digest), ".."), { recursive: true });
      renameSync(tmpFile, blobPath(digest));
    }
    if (!hasLayer(applied.diffId)) commitLayer(dir, applied.diffId);
    const now = new Date().toISOString();
    const cc: ContainerConfig = {};
    applyChanges(cc, opts.changes ?? []);
    const p = hostPlatform();
    const config: ImageConfig = {
      created: now,
      architecture: p.architecture,
      os: p.os,
      config: cc,
      rootfs: { type: "layers", diff_ids: [applied.diffId] },
      history: [{ created: now, created_by: "", comment: opts.message ?? `Imported from ${opts.source ?? "-"}` }],
    };
    const configBytes = new TextEncoder().encode(JSON.stringify(config));
    const configDigest = writeBlob(configBytes);
    const mediaType = compression === "gzip" ? MT.dockerLayerGzip : compression === "zstd" ? MT.ociLayerZstd : "application/vnd.docker.image.rootfs.diff.tar";
    const manifest = new TextEncoder().encode(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: compression === "zstd" ? MT.ociManifest : MT.dockerManifest,
        config: { mediaType: compression === "zstd" ? MT.ociConfig : MT.dockerConfig, size: configBytes.length, digest: configDigest },
        layers: [{ mediaType, size, digest }],
      }),
    );
    const manifestDigest = writeBlob(manifest);
    lease.add(configDigest, manifestDigest);
    const tags: string[] = [];
    if (opts.reference) {
      const r = normalizeReference(opts.reference);
      tags.push(`${repoName(r)}:${r.tag}`);
    }
    return await recordImage({
      manifestDigest,
      manifestMediaType: compression === "zstd" ? MT.ociManifest : MT.dockerManifest,
      configDigest,
      config,
      layers: [{ digest, mediaType, size, diffId: applied.diffId, unpackedSize: applied.size }],
      tags,
    });
  } finally {
    lease.release();
    rmSync(tmpFile, { force: true });
    rmSync(dir, { recursive: true, force: true });
  }
}
