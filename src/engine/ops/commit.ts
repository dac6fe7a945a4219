// commit: a new image from a container = its image's layers + one layer made from the
// container's upper dir (overlayfs whiteouts written as OCI .wh. entries, opaque directories
// as .wh..wh..opq; mount-point stubs left out), with the container's configuration (plus
// --change instructions) and one more history entry. Recorded through the image store.
import { createHash } from "node:crypto";
import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { imageConfig, normalizeReference, repoName, resolveImage, type ContainerConfig, type ImageConfig, type ImageRecord } from "../../image/index.ts";
import { applyChanges } from "../../image/import.ts";
import { applyLayer, fileChunks } from "../../image/layer/apply.ts";
import { MT } from "../../image/manifest.ts";
import { blobPath, hasBlob, ingestDir, writeBlob } from "../../image/store/content.ts";
import type { LayerRef } from "../../image/store/images.ts";
import { commitLayer, hasLayer, newLayerTemp } from "../../image/store/layers.ts";
import { Lease } from "../../image/store/leases.ts";
import { recordImage } from "../../image/store/record.ts";
import { emitEvent } from "../events.ts";
import { TarWriterSink, walkTree } from "../fs/copy.ts";
import { mountTargets, upperDir } from "../fs/container.ts";
import { RootFs } from "../fs/view.ts";
import type { ContainerRecord } from "../model.ts";
import { observe } from "../runtime.ts";
import { loadRecord } from "../store.ts";
import { pauseContainer } from "./pause.ts";

export interface CommitOptions {
  /** REPO[:TAG] */
  reference?: string;
  author?: string;
  message?: string;
  /** Dockerfile instructions (CMD, ENTRYPOINT, ENV, WORKDIR, USER, EXPOSE, LABEL, VOLUME, ...) */
  changes: string[];
  /** -p (default true): freeze the container while its layer is read */
  pause: boolean;
}

function mergeEnv(base: string[], over: string[]): string[] {
  const m = new Map<string, string>();
  for (const e of [...base, ...over]) m.set(e.split("=")[0]!, e);
  return [...m.values()];
}

/** The image config the container runs with, as Docker's commit takes it. */
function containerConfig(rec: ContainerRecord, base: ContainerConfig): ContainerConfig {
  const o = rec.options;
  const c: ContainerConfig = { ...base };
  if (rec.config.entrypoint) c.Entrypoint = [...rec.config.entrypoint];
  else delete c.Entrypoint;
  if (rec.config.cmd) c.Cmd = [...rec.config.cmd];
  else delete c.Cmd;
  c.Env = mergeEnv(base.Env ?? [], o.env.filter((e) => e.includes("=")));
  if (o.workdir) c.WorkingDir = o.workdir;
  if (o.user) c.User = o.user;
  if (Object.keys(o.labels).length) c.Labels = { ...(base.Labels ?? {}), ...o.labels };
  if (o.stopSignal) c.StopSignal = o.stopSignal;
  return c;
}

export async function commitContainer(id: string, o: CommitOptions): Promise<ImageRecord> {
  const rec = loadRecord(id);
  const image = resolveImage(rec.image);
  const baseCfg = imageConfig(image.id);
  const cfg = containerConfig(rec, baseCfg.config ?? {});
  applyChanges(cfg, o.changes);
  const stubs = new Set(mountTargets(rec));
  const running = observe(rec).status === "running";
  const pause = o.pause && running;
  mkdirSync(ingestDir(), { recursive: true });
  const tmp = join(ingestDir(), `commit-${process.pid}-${Date.now()}`);
  const lease = new Lease();
  const dir = newLayerTemp();
  if (pause) await pauseContainer(id, true);
  try {
    // the layer tar, hashed as it is written
    const h = createHash("sha256");
    let size = 0;
    const fd = openSync(tmp, "w", 0o600);
    try {
      const sink = new TarWriterSink((b) => {
        h.update(b);
        size += b.length;
        let off = 0;
        while (off < b.length) off += writeSync(fd, b, off, b.length - off);
      });
      const upper = upperDir(id);
      walkTree(new RootFs(upper, `container ${rec.name}`), "", "", sink, {
        omitTop: true,
        ociWhiteouts: { hostRoot: upper },
        skip: (rel) => stubs.has(rel) && isStub(upper, rel),
      });
      sink.end();
    } finally {
      closeSync(fd);
    }
    if (pause) await pauseContainer(id, false).catch(() => undefined);
    const digest = `sha256:${h.digest("hex")}`;
    lease.add(digest);
    const applied = await applyLayer(fileChunks(tmp), "none", dir);
    if (!hasBlob(digest)) {
      mkdirSync(join(blobPath(digest), ".."), { recursive: true });
      renameSync(tmp, blobPath(digest));
    }
    if (!hasLayer(applied.diffId)) commitLayer(dir, applied.diffId);
    const now = new Date().toISOString();
    const oci = image.manifestMediaType === MT.ociManifest;
    const mediaType = oci ? "application/vnd.oci.image.layer.v1.tar" : "application/vnd.docker.image.rootfs.diff.tar";
    const config: ImageConfig = {
      ...baseCfg,
      created: now,
      ...(o.author ? { author: o.author } : {}),
      container: rec.id,
      config: cfg,
      rootfs: { type: "layers", diff_ids: [...baseCfg.rootfs.diff_ids, applied.diffId] },
      history: [
        ...(baseCfg.history ?? []),
        { created: now, created_by: [rec.config.path, ...rec.config.args].join(" "), ...(o.author ? { author: o.author } : {}), ...(o.message ? { comment: o.message } : {}) },
      ],
    };
    const configBytes = new TextEncoder().encode(JSON.stringify(config));
    const configDigest = writeBlob(configBytes);
    const layers: LayerRef[] = [...image.layers, { digest, mediaType, size, diffId: applied.diffId, unpackedSize: applied.size }];
    const manifestMediaType = oci ? MT.ociManifest : MT.dockerManifest;
    const manifest = new TextEncoder().encode(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: manifestMediaType,
        config: { mediaType: oci ? MT.ociConfig : MT.dockerConfig, size: configBytes.length, digest: configDigest },
        layers: layers.map((l) => ({ mediaType: l.mediaType, size: l.size, digest: l.digest })),
      }),
    );
    const manifestDigest = writeBlob(manifest);
    lease.add(configDigest, manifestDigest);
    const tags: string[] = [];
    if (o.reference) {
      const r = normalizeReference(o.reference);
      tags.push(`${repoName(r)}:${r.tag}`);
    }
    const out = await recordImage({ manifestDigest, manifestMediaType, configDigest, config, layers, tags });
    emitEvent({ type: "container", action: "commit", id: rec.id, attributes: { name: rec.name, image: rec.imageName, ...(o.message ? { comment: o.message } : {}) } });
    return out;
  } finally {
    if (pause && observe(loadRecord(id)).status === "paused") await pauseContainer(id, false).catch(() => undefined);
    lease.release();
    rmSync(tmp, { force: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

/** An empty file or directory the runtime made as a mount point (not content the user wrote). */
function isStub(upper: string, rel: string): boolean {
  const st = new RootFs(upper, "").lstat(rel);
  if (!st) return false;
  if (st.isFile()) return st.size === 0;
  if (st.isDirectory()) return new RootFs(upper, "").readdir(rel).length === 0;
  return false;
}
