// Cold pull + unpack of a ~120 MB multi-layer image (a debootstrap minbase rootfs split into
// layers) from a loopback registry: berth against `podman pull`, side by side, alternating.
//   scripts/bun bench/pull.ts [runs=5]
// The rootfs and layer blobs are cached in bench/.cache (debootstrap runs once).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { startRegistry } from "../test/fixtures/registry.ts";
import { buildImage, pushImageParts, type BuiltImage } from "../test/fixtures/images.ts";

const HERE = import.meta.dir;
const CACHE = join(HERE, ".cache");
const ROOTFS = join(CACHE, "rootfs");
const BUN = resolve(HERE, "../scripts/bun");
const BERTH = resolve(HERE, "../src/cli/berth.ts");
const runs = Number(process.argv[2] ?? 5);

function sh(cmd: string[], opts: { env?: Record<string, string>; input?: Uint8Array } = {}): Buffer {
  const r = spawnSync(cmd[0]!, cmd.slice(1), { env: { ...process.env, ...opts.env }, maxBuffer: 1 << 30, input: opts.input });
  if (r.status !== 0) throw new Error(`${cmd.join(" ")} failed (${r.status}): ${r.stderr?.toString()}`);
  return r.stdout;
}

function ensureRootfs(): void {
  if (existsSync(join(ROOTFS, "usr/bin/apt"))) return;
  mkdirSync(CACHE, { recursive: true });
  console.error("debootstrap --variant=minbase bookworm (once)…");
  sh(["debootstrap", "--variant=minbase", "bookworm", ROOTFS, "http://deb.debian.org/debian"]);
}

/** Layers: usr/share, usr/lib, the rest of usr, everything else (tar'ed by GNU tar, cached). */
function layers(): Uint8Array[] {
  const groups: [string, string[]][] = [
    ["1-usr-lib", ["--exclude=./usr/lib/x86_64-linux-gnu", "./usr/lib"]],
    ["2-usr-lib-gnu", ["./usr/lib/x86_64-linux-gnu"]],
    ["3-usr-share", ["./usr/share"]],
    ["4-usr-rest", ["--exclude=./usr/share", "--exclude=./usr/lib", "./usr"]],
    ["5-rest", ["--exclude=./usr", "--exclude=./proc/*", "--exclude=./sys/*", "--exclude=./dev/*", "--exclude=./var/cache/apt/*", "--exclude=./var/lib/apt/lists/*", "."]],
  ];
  return groups.map(([name, args]) => {
    const f = join(CACHE, `layer-${name}.tar`);
    if (!existsSync(f)) sh(["tar", "--numeric-owner", "--xattrs", "-C", ROOTFS, "-cf", f, ...args]);
    return readFileSync(f);
  });
}

function image(): BuiltImage {
  const f = join(CACHE, "image.json");
  if (existsSync(f)) {
    const j = JSON.parse(readFileSync(f, "utf8")) as { manifest: string; manifestDigest: string; mediaType: string; config: string; configDigest: string; blobs: string[] };
    const blobs = new Map<string, Uint8Array>();
    for (const d of j.blobs) blobs.set(d, readFileSync(join(CACHE, `blob-${d.slice(7)}`)));
    return { manifest: Buffer.from(j.manifest, "base64"), manifestDigest: j.manifestDigest, mediaType: j.mediaType, config: Buffer.from(j.config, "base64"), configDigest: j.configDigest, blobs };
  }
  const img = buildImage(layers(), { format: "docker", compression: "gzip", history: ["usr/lib", "usr/lib/x86_64-linux-gnu", "usr/share", "usr", "rest"] });
  for (const [d, b] of img.blobs) writeFileSync(join(CACHE, `blob-${d.slice(7)}`), b);
  writeFileSync(
    f,
    JSON.stringify({ manifest: Buffer.from(img.manifest).toString("base64"), manifestDigest: img.manifestDigest, mediaType: img.mediaType, config: Buffer.from(img.config).toString("base64"), configDigest: img.configDigest, blobs: [...img.blobs.keys()] }),
  );
  return img;
}

function time(fn: () => void): number {
  const t = performance.now();
  fn();
  return (performance.now() - t) / 1000;
}

const median = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

ensureRootfs();
const img = image();
let compressed = 0;
let unpacked = 0;
for (const [d, b] of img.blobs) if (d !== img.configDigest) compressed += b.length;
for (const l of layers()) unpacked += l.length;
const reg = await startRegistry();
const work = mkdtempSync(join(CACHE, "run-"));
try {
  await pushImageParts(reg.host, "bench/debian", "minbase", img);
  const ref = `${reg.host}/bench/debian:minbase`;
  writeFileSync(join(work, "containers.conf"), `[containers]\ndefault_ulimits = ["nofile=1024:1024","nproc=4096:4096"]\n[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n`);
  writeFileSync(join(work, "registries.conf"), `[[registry]]\nlocation = "${reg.host}"\ninsecure = true\n`);
  const podmanEnv = { CONTAINERS_CONF: join(work, "containers.conf"), CONTAINERS_REGISTRIES_CONF: join(work, "registries.conf") };
  const berthT: number[] = [];
  const podmanT: number[] = [];
  console.log(`image: ${img.blobs.size - 1} layers, ${(compressed / 1e6).toFixed(1)} MB gzip, ${(unpacked / 2 ** 20).toFixed(1)} MiB tar`);
  for (let i = 0; i < runs; i++) {
    const broot = join(work, `berth-${i}`);
    const proot = join(work, `podman-${i}`);
    const runBerth = () => {
      sh(["sync"]);
      return time(() => sh([BUN, BERTH, "pull", "-q", ref], { env: { BERTH_ROOT: broot } }));
    };
    const runPodman = () => {
      sh(["sync"]);
      return time(() => sh(["podman", "--root", proot, "--runroot", `${proot}-run`, "--storage-driver", "overlay", "pull", "-q", ref], { env: podmanEnv }));
    };
    // alternate who goes first: this VM's first touch of fresh memory is slow and noisy
    let b = 0;
    let p = 0;
    if (i % 2 === 0) {
      b = runBerth();
      p = runPodman();
    } else {
      p = runPodman();
      b = runBerth();
    }
    berthT.push(b);
    podmanT.push(p);
    console.log(`run ${i + 1}: berth ${b.toFixed(2)} s   podman ${p.toFixed(2)} s   ratio ${(b / p).toFixed(2)}`);
    rmSync(broot, { recursive: true, force: true });
    spawnSync("podman", ["--root", proot, "--runroot", `${proot}-run`, "--storage-driver", "overlay", "system", "reset", "-f"], { env: { ...process.env, ...podmanEnv } });
    rmSync(proot, { recursive: true, force: true });
    rmSync(`${proot}-run`, { recursive: true, force: true });
  }
  const mb = median(berthT);
  const mp = median(podmanT);
  console.log(`median: berth ${mb.toFixed(2)} s, podman ${mp.toFixed(2)} s, berth/podman = ${(mb / mp).toFixed(2)}x`);
} finally {
  await reg.stop();
  rmSync(work, { recursive: true, force: true });
}
