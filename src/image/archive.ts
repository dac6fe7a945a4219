// save / load: image archives. save writes an OCI image layout that is also a docker-save
// archive (oci-layout, index.json, blobs/sha256/…, plus manifest.json and repositories as
// Docker >= 25 does). load reads that, plain OCI layouts, and legacy docker-save archives
// (<id>/layer.tar, <config>.json, manifest.json).
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { createHash, type Hash } from "node:crypto";
import { join } from "node:path";
import { applyLayer, fileChunks, readTar, sniffCompression } from "./layer/apply.ts";
import { tarHeader, tarPadding, TAR_END, type TarEntry, type TarSink } from "./layer/tar.ts";
import { hostPlatform, isIndex, layerCompression, MT, selectPlatform, type ImageConfig, type ImageIndex, type ImageManifest } from "./manifest.ts";
import { familiarName, normalizeReference, repoName, splitNamed } from "./reference.ts";
import { resolveImage } from "./manage.ts";
import { blobPath, blobSize, hasBlob, ingestDir, readBlob, writeBlob } from "./store/content.ts";
import type { ImageRecord, LayerRef } from "./store/images.ts";
import { commitLayer, hasLayer, newLayerTemp } from "./store/layers.ts";
import { Lease } from "./store/leases.ts";
import { recordImage } from "./store/record.ts";
import { fsyncDir } from "../sys/atomic.ts";
import { emitEvent } from "../engine/events.ts";

const enc = new TextEncoder();

function* fileEntry(name: string, data: Uint8Array): Generator<Uint8Array> {
  yield tarHeader({ name, type: "file", mode: 0o644, size: data.length, mtime: 0 });
  yield data;
  yield tarPadding(data.length);
}

/** The archive of `names` (names or IDs) as tar chunks. */
export function* saveImages(names: string[]): Generator<Uint8Array> {
  const picked: { img: ImageRecord; tags: string[] }[] = [];
  for (const n of names) {
    const img = resolveImage(n);
    let tags: string[] = [];
    try {
      const r = normalizeReference(n);
      const full = `${repoName(r)}:${r.tag}`;
      tags = img.repoTags.includes(full) ? [full] : [];
    } catch {
      tags = [];
    }
    if (/^(sha256:)?[a-f0-9]+$/.test(n) && tags.length === 0 && !img.repoTags.some((t) => n === familiarName(splitNamed(t).name))) tags = [];
    const prev = picked.find((p) => p.img.id === img.id);
    if (prev) prev.tags.push(...tags.filter((t) => !prev.tags.includes(t)));
    else picked.push({ img, tags });
  }
  const written = new Set<string>();
  yield tarHeader({ name: "blobs/", type: "dir", mode: 0o755, mtime: 0 });
  yield tarHeader({ name: "blobs/sha256/", type: "dir", mode: 0o755, mtime: 0 });
  const index: ImageIndex = { schemaVersion: 2, mediaType: MT.ociIndex, manifests: [] };
  const dockerManifest: { Config: string; RepoTags: string[]; Layers: string[] }[] = [];
  const repositories: Record<string, Record<string, string>> = {};
  for (const { img, tags } of picked) {
    for (const l of img.layers) yield* syncChunks(blobPath(l.digest), l.digest, written);
    yield* syncChunks(blobPath(img.id), img.id, written);
    yield* syncChunks(blobPath(img.manifestDigest), img.manifestDigest, written);
    const size = blobSize(img.manifestDigest);
    const names = tags.length > 0 ? tags : [undefined];
    for (const t of names) {
      const annotations: Record<string, string> = {};
      if (t) {
        annotations["io.containerd.image.name"] = t;
        annotations["org.opencontainers.image.ref.name"] = splitNamed(t).tag ?? "latest";
      }
      index.manifests.push({ mediaType: img.manifestMediaType, digest: img.manifestDigest, size, ...(t ? { annotations } : {}) });
    }
    const familiar = tags.map((t) => {
      const p = splitNamed(t);
      return `${familiarName(p.name)}:${p.tag}`;
    });
    dockerManifest.push({ Config: `blobs/sha256/${img.id.slice(7)}`, RepoTags: familiar, Layers: img.layers.map((l) => `blobs/sha256/${l.digest.slice(7)}`) });
    for (const t of tags) {
      const p = splitNamed(t);
      const top = img.layers[img.layers.length - 1];
      if (top) (repositories[familiarName(p.name)] ??= {})[p.tag ?? "latest"] = top.digest.slice(7);
    }
  }
  yield* fileEntry("oci-layout", enc.encode(JSON.stringify({ imageLayoutVersion: "1.0.0" })));
  yield* fileEntry("index.json", enc.encode(JSON.stringify(index)));
  yield* fileEntry("manifest.json", enc.encode(JSON.stringify(dockerManifest)));
  if (Object.keys(repositories).length > 0) yield* fileEntry("repositories", enc.encode(JSON.stringify(repositories)));
  yield TAR_END;
}

function* syncChunks(path: string, digest: string, written: Set<string>): Generator<Uint8Array> {
  if (written.has(digest)) return;
  if (!hasBlob(digest)) throw new Error(`blob ${digest} is missing from the content store`);
  written.add(digest);
  const data = readFileSync(path);
  yield* fileEntry(`blobs/sha256/${digest.slice(7)}`, data);
}

// ------------------------------------------------------------------------------------------
// load

/** Collects an archive's files into a temp directory, hashing each. */
class Collector implements TarSink {
  files = new Map<string, { path: string; digest: string; size: number }>();
  private fd = -1;
  private hash: Hash | undefined;
  private name = "";
  private size = 0;
  private n = 0;
  constructor(readonly dir: string) {}
  entry(e: TarEntry): void {
    if (e.type !== "file") return;
    this.name = e.name.replace(/^\.\//, "");
    this.hash = createHash("sha256");
    this.size = 0;
    this.fd = openSync(join(this.dir, String(this.n++)), "w", 0o600);
  }
  data(chunk: Uint8Array): void {
    if (this.fd < 0) return;
    this.hash!.update(chunk);
    this.size += chunk.length;
    let off = 0;
    while (off < chunk.length) off += writeSync(this.fd, chunk, off, chunk.length - off);
  }
  endEntry(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
    this.files.set(this.name, { path: join(this.dir, String(this.n - 1)), digest: `sha256:${this.hash!.digest("hex")}`, size: this.size });
  }
}

export interface LoadResult {
  images: { id: string; tags: string[] }[];
}

/** Load an archive (a stream of its bytes, maybe compressed). */
export async function loadImages(src: AsyncIterable<Uint8Array>, onLayer?: (digest: string) => void): Promise<LoadResult> {
  mkdirSync(ingestDir(), { recursive: true });
  const tmp = mkdtempSync(join(ingestDir(), "load-"));
  const lease = new Lease();
  try {
    // peek at the first chunk for compression
    const it = src[Symbol.asyncIterator]();
    const first = await it.next();
    const head = first.done ? new Uint8Array(0) : first.value;
    const rest = async function* () {
      if (!first.done) yield head;
      for (;;) {
        const n = await it.next();
        if (n.done) return;
        yield n.value;
      }
    };
    const col = new Collector(tmp);
    await readTar(rest(), sniffCompression(head), col);
    const file = (name: string) => col.files.get(name);
    const json = <T>(name: string): T => {
      const f = file(name);
      if (!f) throw new Error(`archive has no ${name}`);
      return JSON.parse(readFileSync(f.path, "utf8")) as T;
    };
    /** move an archive file into the content store, checking it against `digest` */
    const store = (name: string, digest?: string): string => {
      const f = file(name);
      if (!f) throw new Error(`archive has no ${name}`);
      if (digest && f.digest !== digest) throw new Error(`archive file ${name}: digest mismatch: content has digest ${f.digest}, expected ${digest}`);
      lease.add(f.digest);
      if (!hasBlob(f.digest)) {
        mkdirSync(join(blobPath(f.digest), ".."), { recursive: true });
        renameSync(f.path, blobPath(f.digest));
        fsyncDir(join(blobPath(f.digest), ".."));
      }
      return f.digest;
    };
    const unpack = async (l: LayerRef): Promise<void> => {
      lease.add(l.diffId);
      if (hasLayer(l.diffId)) return;
      onLayer?.(l.digest);
      const dir = newLayerTemp();
      try {
        const a = await applyLayer(fileChunks(blobPath(l.digest)), layerCompression(l.mediaType), dir);
        if (a.diffId !== l.diffId) throw new Error(`layer ${l.digest}: diff ID is ${a.diffId}, config says ${l.diffId}`);
        l.unpackedSize = a.size;
        commitLayer(dir, l.diffId);
      } catch (e) {
        rmSync(dir, { recursive: true, force: true });
        throw e;
      }
    };
    const out: LoadResult = { images: [] };
    const dockerManifest = file("manifest.json") ? json<{ Config: string; RepoTags: string[] | null; Layers: string[] }[]>("manifest.json") : [];
    if (file("index.json")) {
      const index = json<ImageIndex>("index.json");
      for (const d of index.manifests) {
        let desc = d;
        let indexDigest: string | undefined;
        if (isIndex(d.mediaType)) {
          const inner = json<ImageIndex>(`blobs/sha256/${d.digest.slice(7)}`);
          const pick = selectPlatform(inner, hostPlatform());
          if (!pick) throw new Error(`index ${d.digest} has no manifest for this platform`);
          store(`blobs/sha256/${d.digest.slice(7)}`, d.digest);
          indexDigest = d.digest;
          desc = pick;
        }
        const mName = `blobs/sha256/${desc.digest.slice(7)}`;
        const manifest = json<ImageManifest>(mName);
        const config = json<ImageConfig>(`blobs/sha256/${manifest.config.digest.slice(7)}`);
        const diffIds = config.rootfs.diff_ids;
        const layers: LayerRef[] = manifest.layers.map((l, i) => ({ digest: l.digest, mediaType: l.mediaType, size: l.size, diffId: diffIds[i]! }));
        for (const l of layers) {
          if (!hasBlob(l.digest)) store(`blobs/sha256/${l.digest.slice(7)}`, l.digest);
          await unpack(l);
        }
        store(`blobs/sha256/${manifest.config.digest.slice(7)}`, manifest.config.digest);
        store(mName, desc.digest);
        const tags: string[] = [];
        const an = d.annotations ?? {};
        const named = an["io.containerd.image.name"] ?? (an["org.opencontainers.image.ref.name"]?.includes("/") || an["org.opencontainers.image.ref.name"]?.includes(":") ? an["org.opencontainers.image.ref.name"] : undefined);
        if (named) tags.push(`${repoName(normalizeReference(named))}:${normalizeReference(named).tag}`);
        for (const m of dockerManifest) if (m.Config === `blobs/sha256/${manifest.config.digest.slice(7)}`) for (const t of m.RepoTags ?? []) {
          const r = normalizeReference(t);
          const full = `${repoName(r)}:${r.tag}`;
          if (!tags.includes(full) && !named) tags.push(full);
        }
        const rec = await recordImage({ manifestDigest: desc.digest, manifestMediaType: desc.mediaType, ...(indexDigest ? { indexDigest } : {}), configDigest: manifest.config.digest, config, layers, tags });
        const have = out.images.find((x) => x.id === rec.id);
        if (have) have.tags.push(...tags);
        else out.images.push({ id: rec.id, tags });
      }
      return out;
    }
    if (dockerManifest.length === 0) throw new Error("not an image archive: no index.json or manifest.json");
    // legacy docker save: uncompressed (or compressed) layer files, config as <hex>.json
    for (const m of dockerManifest) {
      const configDigest = store(m.Config);
      const config = JSON.parse(readBlob(configDigest).toString("utf8")) as ImageConfig;
      const layers: LayerRef[] = [];
      for (const [i, lname] of m.Layers.entries()) {
        const f = file(lname);
        if (!f) throw new Error(`archive has no ${lname}`);
        const headBytes = readFileSync(f.path).subarray(0, 4);
        const c = sniffCompression(headBytes);
        const mediaType = c === "gzip" ? MT.dockerLayerGzip : c === "zstd" ? MT.ociLayerZstd : "application/vnd.docker.image.rootfs.diff.tar";
        const digest = store(lname);
        layers.push({ digest, mediaType, size: f.size, diffId: config.rootfs.diff_ids[i]! });
      }
      for (const l of layers) await unpack(l);
      const manifest = enc.encode(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MT.dockerManifest,
          config: { mediaType: MT.dockerConfig, size: blobSize(configDigest), digest: configDigest },
          layers: layers.map((l) => ({ mediaType: l.mediaType, size: l.size, digest: l.digest })),
        }),
      );
      const manifestDigest = writeBlob(manifest);
      lease.add(manifestDigest);
      const tags = (m.RepoTags ?? []).map((t) => {
        const r = normalizeReference(t);
        return `${repoName(r)}:${r.tag}`;
      });
      const rec = await recordImage({ manifestDigest, manifestMediaType: MT.dockerManifest, configDigest, config, layers, tags });
      out.images.push({ id: rec.id, tags });
      emitEvent({ type: "image", action: "load", id: rec.id, attributes: { name: rec.id } });
    }
    return out;
  } finally {
    lease.release();
    rmSync(tmp, { recursive: true, force: true });
  }
}
