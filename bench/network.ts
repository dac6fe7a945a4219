// Network set-up cost: setupContainerNetwork + teardownContainerNetwork on a fresh netns, on a
// user-defined network (resolver already running) with and without a published port. Compare with
// issue 5's podman figure (~285 ms of extra start time for a bridge network).
// Then, through the engine (bin/berth; run `sh scripts/build.sh` first): the extra start time a
// bridge network costs — `berth run --rm` on the default bridge minus `--network none` — against
// podman's (`podman run --rm` minus `--network=none`), interleaved; and TCP throughput from the
// host (node:net) into a busybox `nc` sink in a container through a port published on 127.0.0.1,
// berth against podman.
//   sh scripts/build.sh && scripts/bun bench/network.ts [iterations] [engine rounds]
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { busyboxLayer } from "../test/fixtures/images.ts";
import { have, interleave, median, report, type Contender } from "./lib.ts";

const root = mkdtempSync(join(tmpdir(), "berth-netbench-"));
process.env.BERTH_ROOT = root;
const net = await import("../src/network/index.ts");
const N = Number(process.argv[2] ?? 10);
const ns = `berthbench${process.pid}`;
const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return `median ${s[Math.floor(s.length / 2)]!.toFixed(1)} ms, min ${s[0]!.toFixed(1)}, max ${s.at(-1)!.toFixed(1)}`;
};
const n = await net.createNetwork({ name: `bench${process.pid}`, subnet: "10.214.0.0/24" });
try {
  // a resident container keeps the network's resolver running, as on a busy network
  spawnSync("ip", ["netns", "add", `${ns}r`]);
  await net.setupContainerNetwork({ id: "r".repeat(64), name: "resident", hostname: "resident", netnsPath: `/run/netns/${ns}r`, attachments: [{ network: n.name }] });
  for (const ports of [[], net.parsePortSpec("80")]) {
    const up: number[] = [];
    const down: number[] = [];
    for (let i = 0; i < N; i++) {
      spawnSync("ip", ["netns", "add", ns]);
      const id = `b${i}`.padEnd(64, "0");
      let t = performance.now();
      await net.setupContainerNetwork({ id, name: `c${i}`, hostname: `c${i}`, netnsPath: `/run/netns/${ns}`, attachments: [{ network: n.name }], ports });
      up.push(performance.now() - t);
      t = performance.now();
      await net.teardownContainerNetwork(id);
      down.push(performance.now() - t);
      spawnSync("ip", ["netns", "del", ns]);
    }
    console.log(`${ports.length ? "with -p 80" : "no ports  "}: setup ${stats(up)}; teardown ${stats(down)}`);
  }
} finally {
  await net.reconcileNetworks(new Set());
  await net.removeNetwork(n.name);
  spawnSync("ip", ["netns", "del", `${ns}r`]);
  rmSync(root, { recursive: true, force: true });
}

// ---- through the engine: start-time cost of a bridge network, and throughput host -> container

const ROUNDS = Number(process.argv[3] ?? 15);
const loadBefore = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const berth = resolve(import.meta.dir, "../bin/berth");
const work = mkdtempSync(join(tmpdir(), "berth-netbench-engine-"));
const env = { ...process.env, BERTH_ROOT: join(work, "berth") };
const must = (cmd: string, args: string[], e: NodeJS.ProcessEnv = process.env): string => {
  const r = spawnSync(cmd, args, { env: e, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
};
const MB = 256;
/** Send MB MiB to 127.0.0.1:port and wait for the sink to close: MB/s. */
function throughput(port: number): Promise<number> {
  const chunk = Buffer.alloc(1 << 20, 120);
  return new Promise((res, rej) => {
    let sent = 0;
    const t0 = performance.now();
    const s = connect({ host: "127.0.0.1", port }, () => {
      const pump = () => {
        while (sent < MB) {
          sent++;
          if (!s.write(chunk)) return void s.once("drain", pump);
        }
        s.end();
      };
      pump();
    });
    s.resume();
    s.on("close", () => res((MB * 1.048576) / ((performance.now() - t0) / 1000)));
    s.on("error", rej);
  });
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// the sink: stdin never ends (sleep), so nc reads until the host closes; wc proves the bytes arrived
const SINK = ["sh", "-c", "sleep 1000 | nc -l -p 5001 | wc -c"];

const tar = join(work, "busybox-rootfs.tar");
writeFileSync(tar, busyboxLayer());
must(berth, ["import", "-c", 'CMD ["sh"]', tar, "busybox:latest"], env);
const saved = join(work, "busybox-image.tar");
must(berth, ["save", "-o", saved, "busybox:latest"], env);
// An attached `run --rm` returns once the exit is recorded and leaves the network's teardown to
// the container's exit command (the monitor's process). The bench times until `run` returns,
// then waits, untimed, until the network state is gone, so the background teardown neither
// overlaps the next contender nor is charged to it (nor to the next bridge run's reconcile); how
// long after the return the teardown finished is reported apart.
const WARMUP = 2;
const netState = [join(env.BERTH_ROOT, "networks", "endpoints"), join(env.BERTH_ROOT, "networks", "netns")];
const stateGone = () => netState.every((d) => !existsSync(d) || readdirSync(d).length === 0);
const bridgeReturn: number[] = [];
const bridgeSettle: number[] = [];
const contenders: Contender[] = [
  { name: "berth --network none", run: () => void must(berth, ["run", "--rm", "--network", "none", "busybox", "true"], env) },
  {
    name: "berth (default bridge)",
    run: (r) => {
      const t0 = performance.now();
      must(berth, ["run", "--rm", "busybox", "true"], env);
      const t1 = performance.now();
      while (!stateGone()) {
        if (performance.now() - t1 > 10_000) throw new Error("berth: network state not gone 10 s after run --rm returned");
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
      }
      if (r >= WARMUP) {
        bridgeReturn.push(t1 - t0);
        bridgeSettle.push(performance.now() - t1);
      }
    },
  },
];
const pr = ["--root", join(work, "podman/root"), "--runroot", join(work, "podman/run"), "--storage-driver", "overlay"];
let penv: NodeJS.ProcessEnv | undefined;
if (have("podman")) {
  const conf = join(work, "containers.conf");
  writeFileSync(
    conf,
    `[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]\n[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\ntmp_dir = "${join(work, "podman/tmp")}"\n`,
  );
  penv = { ...process.env, CONTAINERS_CONF: conf };
  mkdirSync(join(work, "podman"), { recursive: true });
  try {
    must("podman", [...pr, "load", "-i", saved], penv);
    const pe = penv;
    const img = "docker.io/library/busybox:latest";
    contenders.push(
      { name: "podman --network=none", run: () => void must("podman", [...pr, "run", "--rm", "--network=none", img, "true"], pe) },
      { name: "podman (default network)", run: () => void must("podman", [...pr, "run", "--rm", img, "true"], pe) },
    );
  } catch (e) {
    console.log(`(podman left out: ${(e as Error).message.split("\n")[0]})`);
    penv = undefined;
  }
}
try {
  const times = interleave(contenders, ROUNDS, WARMUP);
  times.set("berth (default bridge)", bridgeReturn); // without the untimed wait for the teardown
  console.log(report(`\nrun --rm busybox true, with and without a bridge network (${ROUNDS} interleaved rounds)`, times, "berth --network none"));
  console.log(`load average before / after: ${loadBefore} / ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`);
  const extra = (a: string, b: string) => median(times.get(a)!) - median(times.get(b)!);
  const berthExtra = extra("berth (default bridge)", "berth --network none");
  console.log(`extra start time of a bridge network: berth ${berthExtra.toFixed(1)} ms`);
  console.log(`  (berth's network teardown, by the exit command, done ${median(bridgeSettle).toFixed(1)} ms after run returned: median; max ${Math.max(...bridgeSettle).toFixed(1)})`);
  if (times.has("podman (default network)")) {
    const podmanExtra = extra("podman (default network)", "podman --network=none");
    console.log(`                                      podman ${podmanExtra.toFixed(1)} ms; berth/podman ${(berthExtra / podmanExtra).toFixed(2)} (target <= 0.33)`);
  }
  // throughput host -> container over the bridge, through a port published on 127.0.0.1
  const tp = async (name: string, start: (port: number) => string, logs: (id: string) => string, rm: (id: string) => void) => {
    const xs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const port = 25100 + Math.floor(Math.random() * 5000);
      const id = start(port);
      try {
        await sleep(300);
        xs.push(await throughput(port));
        // wc prints once nc has seen the host close (the container itself lives on: sleep)
        let out = "";
        for (let t = 0; t < 100 && !out.trim(); t++) {
          await sleep(50);
          out = logs(id);
        }
        const got = Number(out.trim());
        if (got !== MB * 1048576) throw new Error(`${name}: the sink received ${got} bytes`);
      } finally {
        rm(id);
      }
    }
    console.log(`TCP host -> container (${MB} MiB, node:net -> busybox nc): ${name.padEnd(7)} median ${median(xs).toFixed(0)} MB/s (${xs.map((x) => x.toFixed(0)).join(", ")})`);
  };
  console.log("");
  await tp(
    "berth",
    (port) => must(berth, ["run", "-d", "-p", `127.0.0.1:${port}:5001`, "busybox", ...SINK], env).trim(),
    (id) => must(berth, ["logs", id], env),
    (id) => void must(berth, ["rm", "-f", id], env),
  );
  if (penv) {
    const pe = penv;
    await tp(
      "podman",
      (port) => must("podman", [...pr, "run", "-d", "-p", `127.0.0.1:${port}:5001`, "docker.io/library/busybox:latest", ...SINK], pe).trim(),
      (id) => must("podman", [...pr, "logs", id], pe),
      (id) => void must("podman", [...pr, "rm", "-f", "-t", "0", id], pe),
    );
  }
} finally {
  spawnSync(berth, ["rm", "-f", ...must(berth, ["ps", "-aq"], env).split("\n").filter(Boolean)], { env, stdio: "ignore" });
  if (penv) spawnSync("podman", [...pr, "system", "reset", "-f"], { env: penv, stdio: "ignore" });
  spawnSync("umount", ["-R", join(work, "podman/root")], { stdio: "ignore" });
  rmSync(work, { recursive: true, force: true });
}
