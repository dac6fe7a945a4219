// create: image + options -> a container record, its OCI spec (bundle/config.json) and the
// files it bind-mounts (/etc/hostname, hosts, resolv.conf). Nothing runs yet (Docker's
// "Created"). A failure removes everything made so far, name included.
import { chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
// the image modules this needs, not image/index.ts: the registry client, push, save/load and
// import are loaded only for a pull (module evaluation is a fair part of `run`'s start-up)
import { findImage, imageConfig, layerDirs } from "../../image/manage.ts";
import { familiarString, normalizeReference } from "../../image/reference.ts";
import { rootfsMounts } from "../../image/snapshot.ts";
import type { ImageRecord } from "../../image/store/images.ts";
import { emitEvent } from "../events.ts";
import type { ContainerOptions, ContainerRecord, MountOption } from "../model.ts";
import { bundleDir, containerDir, containersDir, logPath, rootfsDir, seccompCacheDir } from "../paths.ts";
import { rememberSeccomp, ZERO_TIME } from "../runtime.ts";
import { checkNetworkOptions, netMode } from "../network.ts";
import { buildSpec, capabilities, resolveConfig, seccompProfile, validateSecurityOpts } from "../spec.ts";
import { newId, removeContainerFiles, reserveName, reserveRandomName, saveRecord, tryContainerLock, unlock } from "../store.ts";
import { existsInLayers } from "../user.ts";
import type { Spec } from "../../runtime/spec.ts";
import { compiledSeccomp } from "../../runtime/seccomp/cache.ts";
import { trace } from "../../sys/trace.ts";
import { writeStderr } from "../../sys/io.ts";

export class ImageNotFoundError extends Error {
  override name = "ImageNotFoundError";
}

async function reachable(domain: string): Promise<boolean> {
  const [host, port] = domain === "docker.io" ? ["registry-1.docker.io", "443"] : [domain.replace(/:\d+$/, ""), /:(\d+)$/.exec(domain)?.[1] ?? "443"];
  return new Promise((res) => {
    // loaded here: node:net costs ~2 ms of start-up and only an image pull needs it
    const { connect } = require("node:net") as typeof import("node:net");
    const s = connect({ host, port: Number(port) });
    const t = setTimeout(() => (s.destroy(), res(false)), 1500);
    s.on("connect", () => (clearTimeout(t), s.destroy(), res(true)));
    s.on("error", () => (clearTimeout(t), res(false)));
  });
}

/** The image, pulled as Docker does when it is not here and its registry answers. */
export async function ensureImage(ref: string, say: (line: string) => void): Promise<ImageRecord> {
  const img = findImage(ref);
  if (img) return img;
  let r;
  try {
    r = normalizeReference(ref);
  } catch (e) {
    throw new ImageNotFoundError(`invalid reference format: ${(e as Error).message}`);
  }
  const full = familiarString(r);
  say(`Unable to find image '${full}' locally`);
  if (!(await reachable(r.domain))) throw new ImageNotFoundError(`pull access denied for ${full}: registry ${r.domain} is not reachable`);
  try {
    const { pullImage } = await import("../../image/pull.ts");
    const pulled = await pullImage(ref);
    say(`Status: Downloaded newer image for ${full}`);
    return pulled;
  } catch (e) {
    throw new ImageNotFoundError((e as Error).message);
  }
}

const HOSTS = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n";

function resolvConf(): string {
  let text = "";
  try {
    text = readFileSync("/etc/resolv.conf", "utf8");
  } catch {
    /* none on the host */
  }
  // Docker drops loopback nameservers (they mean nothing in the container's netns)
  const lines = text.split("\n").filter((l) => !/^\s*nameserver\s+(127\.|::1)/.test(l));
  if (!lines.some((l) => /^\s*nameserver/.test(l))) lines.push("nameserver 8.8.8.8", "nameserver 8.8.4.4");
  return lines.join("\n").replace(/\n*$/, "\n");
}

export interface CreateHooks {
  /** progress lines (image pull) */
  say?: (line: string) => void;
}

/** Everything `create` decides, without writing anything (also what --dry-run prints). */
export async function prepare(o: ContainerOptions, hooks: CreateHooks = {}): Promise<{ image: ImageRecord; rec: ContainerRecord; layersTopFirst: string[] }> {
  validateSecurityOpts(o);
  capabilities(o); // validates --cap-add/--cap-drop before anything is made
  trace("engine create: options validated");
  await checkNetworkOptions(o);
  const image = await ensureImage(o.image, hooks.say ?? ((l) => writeStderr(`${l}\n`)));
  const cfg = imageConfig(image.id).config ?? {};
  const layersTopFirst = layerDirs(image.id).reverse();
  trace("engine create: image found, config read");
  const id = newId();
  const config = resolveConfig(o, cfg, layersTopFirst, id);
  const mounts: MountOption[] = o.mounts.map((m) => ({ ...m }));
  // the image's VOLUMEs become anonymous volumes, as Docker does
  for (const v of config.volumes) if (!mounts.some((m) => m.target === v)) mounts.push({ type: "volume", source: "", target: v, readOnly: false });
  const now = new Date().toISOString();
  const rec: ContainerRecord = {
    id,
    name: o.name ?? "",
    image: image.id,
    imageName: o.image,
    created: now,
    options: o,
    config,
    specPath: join(bundleDir(id), "config.json"),
    logPath: logPath(id),
    mounts,
    labels: config.labels,
    state: {
      status: "created", pid: 0, monitorPid: 0, monitorStart: 0, exitCode: 0, error: "", startedAt: ZERO_TIME, finishedAt: ZERO_TIME,
      oomKilled: false, restartCount: 0, manuallyStopped: false,
    },
    ...(netMode(o) === "bridge" ? { network: { mode: "bridge" } } : {}),
  };
  return { image, rec, layersTopFirst };
}

export function specFor(rec: ContainerRecord, volumePaths: Map<string, string>): Spec {
  const dir = containerDir(rec.id);
  const profile = seccompProfile(rec.options, capabilities(rec.options), (p) => readFileSync(p, "utf8"));
  return buildSpec(rec, { rootfs: rootfsDir(rec.id), hostnamePath: `${dir}/hostname`, hostsPath: `${dir}/hosts`, resolvConfPath: `${dir}/resolv.conf`, volumePaths }, profile);
}

export async function createContainer(o: ContainerOptions, hooks: CreateHooks = {}): Promise<ContainerRecord> {
  const { rec, layersTopFirst } = await prepare(o, hooks);
  trace("engine create: prepared");
  const id = rec.id;
  const dir = containerDir(id);
  mkdirSync(containersDir(), { recursive: true, mode: 0o711 });
  // held while the record is incomplete: a directory without a record and without a holder is
  // garbage from a killed create (see reapOrphans)
  const lock = tryContainerLock(id);
  mkdirSync(dir, { mode: 0o711 });
  try {
    rec.name = o.name ? (reserveName(o.name, id), o.name) : reserveRandomName(id);
    trace("engine create: dir, lock, name");
    const volumePaths = await attachVolumes(rec, layersTopFirst);
    mkdirSync(rootfsDir(id), { recursive: true });
    mkdirSync(bundleDir(id), { recursive: true });
    writeFileSync(`${dir}/hostname`, `${rec.config.hostname}\n`);
    writeFileSync(`${dir}/hosts`, o.network === "host" ? readFileSync("/etc/hosts", "utf8") : `${HOSTS}`);
    writeFileSync(`${dir}/resolv.conf`, resolvConf());
    // Docker creates a missing working directory (owned by the container's user)
    const overlay = rootfsMounts(rec.image, dir);
    const wd = rec.config.workingDir.replace(/^\/+/, "");
    if (wd && !existsInLayers(layersTopFirst, wd)) {
      const p = join(overlay.upperdir, wd);
      mkdirSync(p, { recursive: true, mode: 0o755 });
      chownSync(p, rec.config.uid, rec.config.gid);
    }
    trace("engine create: files written");
    const spec = specFor(rec, volumePaths);
    trace("engine create: spec built");
    // compile now: the first start of a profile pays for it here, not in `start`
    const seccomp = spec.linux?.seccomp ? compiledSeccomp(spec.linux.seccomp, seccompCacheDir()) : undefined;
    trace("engine create: seccomp compiled");
    writeFileSync(rec.specPath, JSON.stringify(spec));
    // a --rm container's record need not survive a machine crash (see saveRecord)
    saveRecord(rec, { durable: !o.autoRemove });
    rememberSeccomp(id, { seccomp });
    trace("engine create: spec and record saved");
  } catch (e) {
    removeContainerFiles(id, rec.name);
    throw e;
  } finally {
    if (lock !== undefined) unlock(lock);
  }
  emitEvent({ type: "container", action: "create", id, attributes: { name: rec.name, image: rec.imageName } });
  return rec;
}

async function attachVolumes(rec: ContainerRecord, layersTopFirst: string[]): Promise<Map<string, string>> {
  const paths = new Map<string, string>();
  const vols = rec.mounts.filter((m) => m.type === "volume");
  for (const m of rec.mounts) {
    if (m.type === "bind" && !existsSync(m.source)) {
      if (!m.createHostPath) throw new Error(`invalid mount config for type "bind": bind source path does not exist: ${m.source}`);
      mkdirSync(m.source, { recursive: true }); // -v creates a missing host directory, as Docker does
    }
  }
  if (!vols.length) return paths;
  const v = await import("./../volumes/index.ts");
  for (const m of vols) {
    const vol = m.source ? v.ensureVolume(m.source) : v.createVolume({});
    m.source = vol.name;
    paths.set(m.target, vol.mountpoint);
    // a new volume gets the image's content at its path (top-most layer that has it)
    const rel = m.target.replace(/^\/+/, "");
    const src = layersTopFirst.map((l) => join(l, rel)).find((p) => existsSync(p));
    if (src) v.populateVolume(vol, src);
  }
  return paths;
}
