// Pulling: resolve the manifest (choosing a platform from an index), then download every
// layer concurrently, each verified against its digest and unpacked as it arrives. The image
// record is written last, under the store lock, so an interrupted pull leaves no image.
import { rmSync } from "node:fs";
import { availableParallelism } from "node:os";
import { readFileSync } from "node:fs";
import { fileChunks, fitsInMemory, mapFile, once, sha256Hex, type AppliedLayer } from "./layer/apply.ts";
import { CancelledError, UnpackPool } from "./layer/offload.ts";
import {
  hostPlatform,
  isIndex,
  isManifest,
  layerCompression,
  parsePlatform,
  platformString,
  selectPlatform,
  type Descriptor,
  type ImageConfig,
  type ImageIndex,
  type ImageManifest,
  type Platform,
} from "./manifest.ts";
import { isDigest, normalizeReference, refString, repoName, type Reference } from "./reference.ts";
import { RegistryClient, RegistryError, type ClientOptions } from "./registry/client.ts";
import { blobPath, DigestMismatchError, hasBlob, Ingest, ingestLockPath, writeBlob } from "./store/content.ts";
import { setTag, updateDb, type ImageRecord, type LayerRef } from "./store/images.ts";
import { commitLayer, hasLayer, newLayerTemp } from "./store/layers.ts";
import { Lease } from "./store/leases.ts";
import { withLock } from "../sys/lock.ts";
import { emitEvent } from "../engine/events.ts";
import { familiarName } from "./reference.ts";
import { trace } from "./trace.ts";
import { normalJit } from "../sys/jit.ts";

export type LayerStatus = "waiting" | "downloading" | "extracting" | "complete" | "exists" | "failed";

export type PullEvent =
  | { type: "resolved"; ref: string; digest: string; layers: Descriptor[] }
  | { type: "layer"; digest: string; status: LayerStatus; current?: number; total?: number }
  | { type: "done"; image: ImageRecord; upToDate: boolean };

export interface PullOptions extends ClientOptions {
  /** "linux/amd64", "linux/arm64/v8"… (default: the host's) */
  platform?: string;
  /** parallel layer downloads (default 3) */
  concurrency?: number;
  onProgress?: (e: PullEvent) => void;
}

export interface ResolvedManifest {
  ref: Reference;
  manifest: ImageManifest;
  manifestBytes: Uint8Array;
  manifestDigest: string;
  manifestMediaType: string;
  index?: { bytes: Uint8Array; digest: string; mediaType: string };
  platform: Platform;
}

const dec = new TextDecoder();

/** Fetch the manifest for a reference, resolving an index to the wanted platform. */
export async function resolveManifest(client: RegistryClient, ref: Reference, platform: Platform): Promise<ResolvedManifest> {
  const first = await client.getManifest(ref.path, ref.digest ?? ref.tag ?? "latest");
  if (ref.digest && first.digest !== ref.digest) throw new RegistryError(`manifest ${ref.digest}: registry returned content with digest ${first.digest}`);
  let m = first;
  let index: ResolvedManifest["index"];
  if (isIndex(first.mediaType)) {
    const idx = JSON.parse(dec.decode(first.bytes)) as ImageIndex;
    const d = selectPlatform(idx, platform);
    if (!d) {
      const have = idx.manifests.filter((x) => x.platform).map((x) => platformString(x.platform!)).join(", ");
      throw new Error(`${refString(ref)}: no manifest for platform ${platformString(platform)} (the index has: ${have || "none"})`);
    }
    index = { bytes: first.bytes, digest: first.digest, mediaType: first.mediaType };
    m = await client.getManifest(ref.path, d.digest);
    if (m.digest !== d.digest) throw new DigestMismatchError(d.digest, m.digest, "manifest");
  }
  if (!isManifest(m.mediaType)) throw new Error(`${refString(ref)}: unsupported manifest media type ${m.mediaType}`);
  const manifest = JSON.parse(dec.decode(m.bytes)) as ImageManifest;
  if (!manifest.config || !Array.isArray(manifest.layers)) throw new Error(`manifest ${m.digest}: missing config or layers`);
  const out: ResolvedManifest = { ref, manifest, manifestBytes: m.bytes, manifestDigest: m.digest, manifestMediaType: m.mediaType, platform };
  if (index) out.index = index;
  return out;
}

/** Run fn over items, n at a time; the first failure aborts `ac` (cancelling the others) and is thrown. */
async function pool<T>(items: T[], n: number, ac: AbortController, fn: (t: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (next < items.length && failed === undefined) {
      const i = next++;
      try {
        await fn(items[i]!, i);
      } catch (e) {
        if (failed === undefined) {
          failed = e;
          ac.abort();
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  if (failed !== undefined) throw failed;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A counting semaphore whose waiters give up when the pull is cancelled. */
class Budget {
  private q: { go: () => void }[] = [];
  constructor(private left: number) {}
  async take(n: number, signal: AbortSignal): Promise<void> {
    while (this.left < n) {
      if (signal.aborted) throw new CancelledError("download");
      await new Promise<void>((go) => {
        this.q.push({ go });
        signal.addEventListener("abort", () => go(), { once: true });
      });
    }
    this.left -= n;
  }
  give(n: number): void {
    this.left += n;
    for (const e of this.q.splice(0)) e.go();
  }
}

/** What one pull shares between its layers. */
interface LayerContext {
  client: RegistryClient;
  repo: string;
  unpacker: UnpackPool;
  signal: AbortSignal;
  /** download slots (PullOptions.concurrency) */
  downloads: Budget;
  /** bytes of compressed layers held in memory until unpacked */
  memory: Budget;
  /** called once per layer when it needs no (more) downloading */
  downloaded: () => void;
}

/** Compressed bytes of layers kept in memory (downloaded, waiting to be unpacked) at once. */
const MEMORY_BUDGET = 512 << 20;

/**
 * The bytes of a blob: first whatever an interrupted attempt left in ingest/, then the rest from
 * the registry with HTTP Range, retrying (and resuming) after network failures.
 */
async function* blobSource(
  client: RegistryClient,
  repo: string,
  desc: Descriptor,
  ing: Ingest,
  progress: (n: number) => void,
  reread = true,
  signal?: AbortSignal,
): AsyncGenerator<Uint8Array> {
  const already = reread ? ing.written : 0;
  if (already > desc.size) {
    ing.discard();
    throw new Error(`blob ${desc.digest}: partial download larger than the blob`);
  }
  let got = reread ? 0 : ing.written;
  if (already > 0) {
    for await (const c of fileChunks(ing.path, already)) {
      ing.rehash(c);
      got += c.length;
      progress(got);
      yield c;
    }
  }
  let attempt = 0;
  while (got < desc.size || (desc.size === 0 && got === 0 && attempt === 0)) {
    try {
      const res = await client.getBlob(repo, desc.digest, got);
      let skip = res.status === 206 ? 0 : got; // server ignored Range: drop what we already have
      if (res.status === 206) {
        const cr = res.headers.get("content-range");
        const m = cr ? /bytes (\d+)-/.exec(cr) : null;
        if (m && Number(m[1]) !== got) throw new RegistryError(`blob ${desc.digest}: registry resumed at ${m[1]}, wanted ${got}`);
      }
      if (!res.body) throw new RegistryError(`blob ${desc.digest}: empty response`);
      for await (const raw of res.body) {
        if (signal?.aborted) throw new CancelledError("download");
        let c = raw as Uint8Array;
        if (skip > 0) {
          const k = Math.min(skip, c.length);
          skip -= k;
          c = c.subarray(k);
          if (c.length === 0) continue;
        }
        if (got + c.length > desc.size) throw new DigestMismatchError(desc.digest, "(more bytes than the manifest's size)");
        ing.append(c);
        got += c.length;
        progress(got);
        yield c;
      }
      trace(`blob ${desc.digest.slice(7, 19)}: downloaded`);
      if (desc.size === 0) break;
      if (got < desc.size) throw new RegistryError(`blob ${desc.digest}: connection closed after ${got} of ${desc.size} bytes`);
    } catch (e) {
      if (e instanceof DigestMismatchError || e instanceof CancelledError) throw e;
      if (e instanceof RegistryError && e.status !== undefined && e.status < 500 && e.status !== 429) throw e;
      if (attempt >= client.retries) {
        throw e instanceof RegistryError ? e : new RegistryError(`blob ${desc.digest}: ${(e as Error).message} (after ${got} of ${desc.size} bytes)`);
      }
      await sleep(client.retryDelayMs * 2 ** attempt++);
    }
  }
}

/** Download (and unpack) one layer into the stores. */
async function fetchLayer(
  cx: LayerContext,
  desc: Descriptor,
  diffIdOf: () => Promise<string>,
  emit: (s: LayerStatus, cur?: number) => void,
): Promise<AppliedLayer | undefined> {
  let reported = false;
  const downloaded = () => {
    if (!reported) cx.downloaded();
    reported = true;
  };
  try {
    return await fetchLayerLocked(cx, desc, diffIdOf, emit, downloaded);
  } finally {
    downloaded();
  }
}

async function fetchLayerLocked(
  cx: LayerContext,
  desc: Descriptor,
  diffIdOf: () => Promise<string>,
  emit: (s: LayerStatus, cur?: number) => void,
  downloaded: () => void,
): Promise<AppliedLayer | undefined> {
  const { client, repo, unpacker, signal } = cx;
  if (hasBlob(desc.digest) && hasLayer(await diffIdOf())) {
    emit("exists");
    return undefined;
  }
  return withLock(ingestLockPath(desc.digest), async () => {
    const compression = layerCompression(desc.mediaType);
    const blobThere = hasBlob(desc.digest);
    // A missing blob that fits in memory starts downloading before the image config (where its
    // layer's diff ID is) has arrived: it is needed whatever the diff ID. The rest wait for it.
    const early = !blobThere && fitsInMemory(desc.size, compression);
    let diffId = early ? undefined : await diffIdOf();
    const layerThere = diffId !== undefined && hasLayer(diffId);
    if (blobThere && layerThere) {
      emit("exists");
      return undefined;
    }
    // Layers to unpack whose blob fits in memory are downloaded whole, then verified and unpacked
    // on the first free thread (this one or a worker); others stream through decompression.
    const inMemory = early || (!layerThere && fitsInMemory(desc.size, compression));
    let src: AsyncIterable<Uint8Array>;
    let ing: Ingest | undefined;
    if (blobThere) {
      src = fileChunks(blobPath(desc.digest));
    } else {
      // hashed as it arrives (the download leaves the CPU mostly idle), also when it is
      // unpacked from memory: the lane that unpacks it then skips that pass
      ing = new Ingest(desc.digest);
      emit("downloading", ing.written);
      src = blobSource(client, repo, desc, ing, (n) => emit("downloading", n), true, signal);
    }
    let tmp = layerThere ? undefined : newLayerTemp();
    trace(`layer ${desc.digest.slice(7, 19)}: start (${desc.size} bytes)`);
    /** the blob's digest was checked (in memory) before anything was unpacked */
    let verified = false;
    let held = 0;
    try {
      let applied: AppliedLayer | undefined;
      if (tmp && inMemory) {
        await cx.memory.take(desc.size, signal);
        held = desc.size;
        let blob: Uint8Array;
        let file: string;
        await cx.downloads.take(1, signal);
        try {
          if (blobThere) file = blobPath(desc.digest);
          else {
            // the bytes go to the ingest file as they arrive (blobSource); the lanes map that
            // file afterwards instead of a copy in a fresh buffer
            let off = 0;
            for await (const c of src) {
              if (off + c.length > desc.size) throw new DigestMismatchError(desc.digest, "(more bytes than the manifest's size)");
              off += c.length;
            }
            if (off !== desc.size) throw new RegistryError(`blob ${desc.digest}: got ${off} of ${desc.size} bytes`);
            file = ing!.path;
          }
          blob = mapFile(file);
          if (blob.length !== desc.size) throw new DigestMismatchError(desc.digest, `(${blob.length} bytes on disk, the manifest says ${desc.size})`);
        } finally {
          cx.downloads.give(1);
        }
        // a blob from the store is hashed again by the lane; a download was hashed on the way
        const blobVerified = !!ing;
        if (ing) {
          const actual = ing.currentDigest();
          if (actual !== desc.digest) throw new DigestMismatchError(desc.digest, actual);
        }
        diffId ??= await diffIdOf();
        // Only now, with nothing left to wait for: this releases the main thread's lane once every
        // layer got here, and the queueing below must happen before that lane picks (the biggest
        // waiting layer first). An await in between let it take a smaller one (bench/RESULTS.md).
        downloaded();
        if (hasLayer(diffId)) {
          // downloaded before the config said this layer is unpacked already
          rmSync(tmp, { recursive: true, force: true });
          tmp = undefined;
          if (!blobVerified) {
            const actual = sha256Hex(blob);
            if (actual !== desc.digest) throw new DigestMismatchError(desc.digest, actual);
          }
        } else if (compression !== "gzip" || fitsInMemory(blob.length, compression, blob.subarray(blob.length - 4))) {
          try {
            applied = await unpacker.applyBlob(blob, compression, tmp, { digest: desc.digest, diffId, blobVerified, file }, { signal, priority: desc.size });
          } catch (e) {
            // its trailer let it into memory, but it inflates to more (multi-member, or a bomb):
            // nothing was written yet; stream it to disk, where its diff ID is checked at the end
            if ((e as Error).name !== "InflatesTooLargeError") throw e;
            trace(`layer ${desc.digest.slice(7, 19)}: ${(e as Error).message}; streaming it`);
            applied = await unpacker.apply(once(blob), compression, tmp, { signal, here: true });
          }
        } else {
          // inflates to more than we want in memory: stream it
          if (!blobVerified) {
            const actual = sha256Hex(blob);
            if (actual !== desc.digest) throw new DigestMismatchError(desc.digest, actual);
          }
          applied = await unpacker.apply(once(blob), compression, tmp, { signal, here: true });
        }
        verified = true;
      } else if (tmp) {
        await cx.downloads.take(1, signal);
        try {
          applied = await unpacker.apply(src, compression, tmp, { signal, here: true });
        } finally {
          cx.downloads.give(1);
        }
      } else {
        await cx.downloads.take(1, signal);
        try {
          for await (const _ of src) {
            // download only
            if (signal.aborted) throw new CancelledError("download");
          }
        } finally {
          cx.downloads.give(1);
        }
      }
      diffId ??= await diffIdOf();
      if (applied && applied.diffId !== diffId) throw new DigestMismatchError(diffId, applied.diffId, `layer ${desc.digest} diff ID`);
      trace(`layer ${desc.digest.slice(7, 19)}: unpacked`);
      if (ing) ing.commit(desc.size, verified ? desc.digest : undefined);
      emit("extracting");
      if (tmp) commitLayer(tmp, diffId);
      emit("complete");
      return applied;
    } catch (err) {
      let e = err;
      if (tmp) rmSync(tmp, { recursive: true, force: true });
      // A decompression or tar error may just be corrupt bytes: finish the download and
      // report a digest mismatch if that is what it was.
      if (signal.aborted && !(e instanceof DigestMismatchError)) e = new CancelledError(`layer ${desc.digest}`);
      if (ing && !verified && !(e instanceof DigestMismatchError) && !(e instanceof RegistryError) && !(e instanceof CancelledError)) {
        try {
          for await (const _ of blobSource(client, repo, desc, ing, () => undefined, false)) {
            // drain
          }
          const actual = ing.currentDigest();
          if (actual !== desc.digest) e = new DigestMismatchError(desc.digest, actual);
        } catch {
          // keep the original error
        }
      }
      // keep a partial download only when the network failed (or another layer's failure
      // cancelled this one); anything else starts afresh
      if (ing) {
        if ((e instanceof RegistryError && (e.status === undefined || e.status >= 500)) || e instanceof CancelledError) ing.close();
        else ing.discard();
      }
      emit("failed");
      throw e;
    } finally {
      if (held) cx.memory.give(held);
      ing?.close();
    }
  });
}

/**
 * Unpack worker threads besides the main thread (BERTH_UNPACK_WORKERS overrides; 0: everything
 * on this thread). One: layers are verified, inflated (libdeflate) and unpacked whole on two
 * lanes, this thread and the worker, which keeps two cores busy (bench/RESULTS.md).
 */
function workerCount(): number {
  const env = Number(process.env.BERTH_UNPACK_WORKERS);
  if (process.env.BERTH_UNPACK_WORKERS && Number.isInteger(env) && env >= 0) return env;
  return Math.min(1, availableParallelism() - 1);
}

/** The image config (from the store, or fetched and stored), checked to list one diff ID per layer. */
async function loadConfig(client: RegistryClient, repo: string, desc: Descriptor, layers: number): Promise<{ config: ImageConfig; diffIds: string[] }> {
  const bytes = hasBlob(desc.digest) ? undefined : await client.fetchBlobBytes(repo, desc.digest);
  if (bytes) writeBlob(bytes, desc.digest);
  const config = JSON.parse(new TextDecoder().decode(bytes ?? (await import("./store/content.ts")).readBlob(desc.digest))) as ImageConfig;
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (!Array.isArray(diffIds) || diffIds.length !== layers) throw new Error(`image ${desc.digest}: config lists ${Array.isArray(diffIds) ? diffIds.length : 0} layers, manifest ${layers}`);
  const bad = diffIds.find((d) => !isDigest(d));
  if (bad !== undefined) throw new Error(`image ${desc.digest}: invalid layer diff ID ${JSON.stringify(bad)} in its config`);
  return { config, diffIds };
}

/** Pull an image by reference; returns its record once it is completely stored. */
export async function pullImage(reference: string, opts: PullOptions = {}): Promise<ImageRecord> {
  trace("pull: start");
  normalJit();
  const ref = normalizeReference(reference);
  const client = new RegistryClient(ref.domain, opts);
  const platform = opts.platform ? parsePlatform(opts.platform) : hostPlatform();
  // the worker thread starts while the manifest is fetched
  const unpacker = new UnpackPool(workerCount());
  unpacker.prewarm();
  let r: ResolvedManifest;
  try {
    r = await resolveManifest(client, ref, platform);
  } catch (e) {
    unpacker.close();
    throw e;
  }
  const emit = opts.onProgress ?? (() => undefined);
  const lease = new Lease();
  const ac = new AbortController();
  try {
    const configDesc = r.manifest.config;
    lease.add(configDesc.digest, r.manifestDigest, ...(r.index ? [r.index.digest] : []));
    // The config (with the layers' diff IDs) is fetched while the layers start downloading; its
    // failure stops them, and is what the pull reports.
    const configP = loadConfig(client, ref.path, configDesc, r.manifest.layers.length).then((c) => {
      lease.add(...c.diffIds);
      trace("pull: config");
      return c;
    });
    configP.catch(() => ac.abort());
    // made when awaited: a layer cancelled before it needs its diff ID leaves no rejection unheard
    const diffIdOf = (i: number) => () => configP.then((c) => c.diffIds[i]!);
    trace("pull: manifest");
    emit({ type: "resolved", ref: refString(ref), digest: r.index?.digest ?? r.manifestDigest, layers: r.manifest.layers });
    lease.add(...r.manifest.layers.map((d) => d.digest));
    for (const d of r.manifest.layers) emit({ type: "layer", digest: d.digest, status: "waiting", total: d.size });
    // Every layer's task starts at once; downloads take `concurrency` slots, biggest blob first
    // (the longest unpack should start early), and unpacking takes a free thread.
    const descs = r.manifest.layers;
    let downloading = descs.length;
    let allDownloaded = () => undefined as void;
    unpacker.holdHere(new Promise<void>((r) => (allDownloaded = r)));
    const cx: LayerContext = {
      client,
      repo: ref.path,
      unpacker,
      signal: ac.signal,
      downloads: new Budget(opts.concurrency ?? 3),
      memory: new Budget(MEMORY_BUDGET),
      downloaded: () => {
        if (--downloading === 0) allDownloaded();
      },
    };
    if (descs.length === 0) allDownloaded();
    const unpackedSizes: (number | undefined)[] = descs.map(() => undefined);
    const order = descs.map((_, i) => i).sort((a, b) => descs[b]!.size - descs[a]!.size);
    try {
      await pool(order, order.length, ac, async (i) => {
        const desc = descs[i]!;
        const applied = await fetchLayer(cx, desc, diffIdOf(i), (status, current) =>
          emit({ type: "layer", digest: desc.digest, status, total: desc.size, ...(current !== undefined ? { current } : {}) }),
        );
        if (applied) unpackedSizes[i] = applied.size;
      });
    } catch (e) {
      await configP; // a failed config is the cause
      throw e;
    }
    const { config, diffIds } = await configP;
    const layers: LayerRef[] = descs.map((d, i) => ({
      digest: d.digest,
      mediaType: d.mediaType,
      size: d.size,
      diffId: diffIds[i]!,
      ...(unpackedSizes[i] !== undefined ? { unpackedSize: unpackedSizes[i] } : {}),
    }));
    trace("pull: layers done");
    const rec = await commitImage(r, layers, config, emit);
    trace("pull: image recorded");
    emitEvent({ type: "image", action: "pull", id: familiarName(refString(ref)), attributes: { name: familiarName(repoName(ref)) } });
    return rec;
  } finally {
    unpacker.close();
    lease.release();
  }
}


/** Write the manifest blobs and the image record (the commit point of a pull). */
async function commitImage(r: ResolvedManifest, layers: LayerRef[], config: ImageConfig, emit: (e: PullEvent) => void): Promise<ImageRecord> {
  writeBlob(r.manifestBytes, r.manifestDigest);
  if (r.index) writeBlob(r.index.bytes, r.index.digest);
  const id = r.manifest.config.digest;
  const name = repoName(r.ref);
  let upToDate = false;
  const rec = await updateDb((db) => {
    for (const l of layers) if (!hasLayer(l.diffId) || !hasBlob(l.digest)) throw new Error(`layer ${l.digest} vanished while pulling`);
    const old = db.images[id];
    const sizes = new Map<string, number>();
    for (const img of Object.values(db.images)) for (const x of img.layers) if (x.unpackedSize !== undefined) sizes.set(x.diffId, x.unpackedSize);
    for (const l of layers) l.unpackedSize ??= sizes.get(l.diffId) ?? 0;
    const pulledDigest = `${name}@${r.index?.digest ?? r.manifestDigest}`;
    const rec: ImageRecord = old ?? {
      id,
      repoTags: [],
      repoDigests: [],
      manifestDigest: r.manifestDigest,
      manifestMediaType: r.manifestMediaType,
      layers,
      size: layers.reduce((a, l) => a + (l.unpackedSize ?? 0), 0),
      created: config.created ?? new Date(0).toISOString(),
      added: new Date().toISOString(),
      platform: platformString({ os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) }),
    };
    if (r.index) rec.indexDigest = r.index.digest;
    db.images[id] = rec;
    if (r.ref.tag) {
      const t = `${name}:${r.ref.tag}`;
      upToDate = !!old && old.repoTags.includes(t);
      setTag(db, id, t);
    } else upToDate = !!old;
    if (!rec.repoDigests.includes(pulledDigest)) rec.repoDigests.push(pulledDigest);
    return rec;
  });
  emit({ type: "done", image: rec, upToDate });
  return rec;
}
