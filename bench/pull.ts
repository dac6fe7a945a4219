// Cold pull + unpack of a ~120 MB multi-layer image (a debootstrap minbase rootfs split into
// layers) from a loopback registry: berth against `podman pull`, interleaved.
//   scripts/bun bench/pull.ts [rounds=7] [--warm] [--single] [--churn] [--src] [--cold-binaries]   (as root: drop_caches)
// berth is bin/berth as scripts/build.sh makes it (from source if it is not built).
// Each round runs every contender once, in a rotating order, each into a new empty store.
// Before every run: sync + drop_caches (registry storage and metadata cold for all), unless
// --warm; then each tool runs one untimed `images -q`, so that its own binary is read from disk
// outside the timing (--cold-binaries: not). Stores are kept until the end, because deleting one makes the next run's
// inode allocation slow on this VM (ext4 without a journal skips inodes freed in the last
// 60-300 s, see bench/RESULTS.md); --churn deletes them after each round instead, as the old
// version of this bench did. --single adds berth with BERTH_UNPACK_WORKERS=0 (no worker lane);
// BENCH_BERTH_BEFORE=<other checkout>/src/cli/berth.ts adds that berth; BENCH_VARIANTS adds
// berth with other settings ("name:VAR=value,…").
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
const BERTH_SRC = resolve(HERE, "../src/cli/berth.ts");
// the compiled CLI users run (scripts/build.sh); from source when it is not built
const BERTH_BIN = resolve(HERE, "../bin/berth");
const BERTH = existsSync(BERTH_BIN) ? [BERTH_BIN] : [BUN, BERTH_SRC];
const args = process.argv.slice(2);
const rounds = Number(args.find((a) => /^\d+$/.test(a)) ?? 7);
const warm = args.includes("--warm");
const single = args.includes("--single");
const churn = args.includes("--churn");
const coldBinaries = args.includes("--cold-binaries");

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

const median = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Make everything cold (or at least the same for every contender) before a run. */
function settle(): void {
  sh(["sync"]);
  if (!warm) writeFileSync("/proc/sys/vm/drop_caches", "3");
}

interface Contender {
  name: string;
  run: (round: number) => void;
  clean: (round: number) => void;
  /** load the tool's own binary into the page cache after drop_caches (untimed) */
  warm: () => void;
}

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
  const berth = (name: string, env: Record<string, string>, cli = BERTH): Contender => ({
    name,
    run: (i) => void sh([...cli, "pull", "-q", ref], { env: { ...env, BERTH_ROOT: join(work, `${name}-${i}`) } }),
    warm: () => void sh([...cli, "images", "-q"], { env: { ...env, BERTH_ROOT: join(work, `${name}-warm`) } }),
    clean: (i) => rmSync(join(work, `${name}-${i}`), { recursive: true, force: true }),
  });
  const podmanArgs = (i: number) => ["--root", join(work, `podman-${i}`), "--runroot", join(work, `podman-${i}-run`), "--storage-driver", "overlay"];
  const contenders: Contender[] = [
    berth("berth", {}),
    {
      name: "podman",
      run: (i) => void sh(["podman", ...podmanArgs(i), "pull", "-q", ref], { env: podmanEnv }),
      warm: () => void sh(["podman", ...podmanArgs(-1), "images", "-q"], { env: podmanEnv }),
      clean: (i) => {
        spawnSync("podman", [...podmanArgs(i), "system", "reset", "-f"], { env: { ...process.env, ...podmanEnv } });
        rmSync(join(work, `podman-${i}`), { recursive: true, force: true });
        rmSync(join(work, `podman-${i}-run`), { recursive: true, force: true });
      },
    },
  ];
  if (single) contenders.push(berth("berth-1thread", { BERTH_UNPACK_WORKERS: "0" }));
  // an older berth checkout to compare with: BENCH_BERTH_BEFORE=/path/to/src/cli/berth.ts
  if (process.env.BENCH_BERTH_BEFORE) contenders.push(berth("berth-before", {}, [BUN, process.env.BENCH_BERTH_BEFORE]));
  // --src: also berth run from its TypeScript sources by Bun (no compiled bytecode)
  if (args.includes("--src")) contenders.push(berth("berth-src", {}, [BUN, BERTH_SRC]));
  // more berth variants: BENCH_VARIANTS="name:VAR=value,name2:VAR=value"
  for (const v of (process.env.BENCH_VARIANTS ?? "").split(",").filter(Boolean)) {
    const [name, kv] = v.split(":") as [string, string];
    const [k, val] = kv.split("=") as [string, string];
    contenders.push(berth(name, { [k]: val }));
  }
  const times = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  console.log(`image: ${img.blobs.size - 1} layers, ${(compressed / 1e6).toFixed(1)} MB gzip, ${(unpacked / 2 ** 20).toFixed(1)} MiB tar`);
  console.log(`${rounds} rounds, ${warm ? "warm caches" : "sync + drop_caches before each run"}, stores ${churn ? "deleted after each round" : "kept until the end"}`);
  try {
    for (let r = 0; r < rounds; r++) {
      const line: string[] = [];
      for (let k = 0; k < contenders.length; k++) {
        const c = contenders[(r + k) % contenders.length]!; // rotate who goes first
        settle();
        // the registry's blobs stay cold; the tool's own binary is loaded as on a machine that
        // uses it (the bench's Bun process keeps Bun's pages cached, but not bin/berth's or podman's)
        if (!coldBinaries) c.warm();
        const t = performance.now();
        c.run(r);
        const s = (performance.now() - t) / 1000;
        times.get(c.name)!.push(s);
        line.push(`${c.name} ${s.toFixed(2)} s`);
      }
      const b = times.get("berth")!.at(-1)!;
      const p = times.get("podman")!.at(-1)!;
      console.log(`round ${r + 1}: ${line.join("   ")}   berth/podman ${(b / p).toFixed(2)}`);
      if (churn) for (const c of contenders) c.clean(r);
    }
  } finally {
    if (!churn) for (let r = 0; r < rounds; r++) for (const c of contenders) c.clean(r);
  }
  const mp = median(times.get("podman")!);
  for (const [name, xs] of times) {
    const m = median(xs);
    console.log(`${name.padEnd(14)} median ${m.toFixed(2)} s  (min ${Math.min(...xs).toFixed(2)}, max ${Math.max(...xs).toFixed(2)})  ratio to podman ${(m / mp).toFixed(2)}x`);
  }
  const ratios = times.get("berth")!.map((b, i) => b / times.get("podman")![i]!);
  console.log(`per-round berth/podman: median ${median(ratios).toFixed(2)}, range ${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}`);
} finally {
  await reg.stop();
  rmSync(work, { recursive: true, force: true });
}
