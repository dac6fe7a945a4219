// `berth run --rm --network none busybox true` against `runc run` of a prepared bundle,
// `podman run --rm --network=none` and `docker run --rm --network none` (the daemon that answers,
// else a private dockerd started for the run; --no-dockerd: not), interleaved; then the resident
// memory of an idle container's monitor against podman's conmon.
// Usage: sh scripts/build.sh && scripts/bun bench/engine-run.ts [rounds] [--no-dockerd]
// BERTH_BASELINE=/path/to/bin/berth adds another berth build (e.g. an older commit's, built in a
// git worktree) as a contender, for a before/after under the same load.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { defaultSpec } from "../src/runtime/default-spec.ts";
import { busyboxLayer, busyboxRootfs } from "../test/fixtures/images.ts";
import { have, interleave, median, report, settleBinaries, sh, type Contender } from "./lib.ts";

const rounds = Number(process.argv[2] ?? 30);
const repo = resolve(import.meta.dir, "..");
const berth = join(repo, "bin/berth");
const work = mkdtempSync(join(tmpdir(), "berth-bench-engine-"));
const env = { ...process.env, BERTH_ROOT: join(work, "berth") };
const run = (cmd: string, args: string[], e: NodeJS.ProcessEnv = process.env) => {
  const r = spawnSync(cmd, args, { env: e, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
};

// the image: busybox from the test fixture's layer, imported into berth, saved for podman
const tar = join(work, "busybox-rootfs.tar");
writeFileSync(tar, busyboxLayer());
run(berth, ["import", "-c", 'CMD ["sh"]', tar, "busybox:latest"], env);
const saved = join(work, "busybox-image.tar");
run(berth, ["save", "-o", saved, "busybox:latest"], env);

// runc: a bundle with the same rootfs, /bin/true, no terminal
const bundle = join(work, "bundle");
busyboxRootfs(join(bundle, "rootfs"));
writeFileSync(join(bundle, "config.json"), JSON.stringify(defaultSpec({ args: ["true"], terminal: false })));

const contenders: Contender[] = [
  { name: "berth run --rm", run: () => sh(berth, ["run", "--rm", "--network", "none", "busybox", "true"]) },
];
// sh() does not pass env: wrap berth so it sees its BERTH_ROOT
contenders[0]!.run = () => {
  const r = spawnSync(berth, ["run", "--rm", "--network", "none", "busybox", "true"], { env, stdio: "ignore" });
  if (r.status !== 0) throw new Error("berth run failed");
};
const baseline = process.env.BERTH_BASELINE;
if (baseline) {
  const benv = { ...process.env, BERTH_ROOT: join(work, "berth-baseline") };
  run(baseline, ["import", "-c", 'CMD ["sh"]', tar, "busybox:latest"], benv);
  contenders.push({
    name: "berth run --rm (baseline)",
    run: () => {
      const r = spawnSync(baseline, ["run", "--rm", "--network", "none", "busybox", "true"], { env: benv, stdio: "ignore" });
      if (r.status !== 0) throw new Error("baseline berth run failed");
    },
  });
}
if (have("runc")) contenders.push({ name: "runc run", run: (i) => sh("runc", ["--root", join(work, "runc"), "run", `r${i}`], { cwd: bundle }) });

let podmanEnv: NodeJS.ProcessEnv | undefined;
if (have("podman")) {
  const conf = join(work, "containers.conf");
  writeFileSync(
    conf,
    `[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]\n[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n`,
  );
  podmanEnv = { ...process.env, CONTAINERS_CONF: conf };
  const pr = ["--root", join(work, "podman/root"), "--runroot", join(work, "podman/run"), "--storage-driver", "overlay"];
  mkdirSync(join(work, "podman"), { recursive: true });
  try {
    run("podman", [...pr, "load", "-i", saved], podmanEnv);
    const pe = podmanEnv;
    contenders.push({
      name: "podman run --rm",
      run: () => {
        const r = spawnSync("podman", [...pr, "run", "--rm", "--network=none", "docker.io/library/busybox:latest", "true"], { env: pe, stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
        if (r.status !== 0) throw new Error(`podman run: ${r.stderr}`);
      },
    });
  } catch (e) {
    console.log(`(podman left out: ${(e as Error).message.split("\n")[0]})`);
  }
}
// docker: the daemon that answers, else a private Debian dockerd started here (own data root and
// socket, no bridge or iptables, cgroupfs, its default runc), stopped and removed at the end
let dockerd: { pid: number; dir: string } | undefined;
const dockerEnv: NodeJS.ProcessEnv = { ...process.env };
if (have("docker") && spawnSync("docker", ["info"], { stdio: "ignore" }).status !== 0 && !process.argv.includes("--no-dockerd")) {
  const dockerdBin = ["/usr/sbin/dockerd", "/usr/bin/dockerd"].find((p) => spawnSync("test", ["-x", p]).status === 0);
  if (dockerdBin) {
    const dir = join(work, "docker");
    mkdirSync(dir, { recursive: true });
    const conf = {
      bridge: "none", iptables: false, "ip-masq": false, "ip-forward": false, "exec-opts": ["native.cgroupdriver=cgroupfs"],
      "data-root": join(dir, "data"), "exec-root": join(dir, "exec"), pidfile: join(dir, "docker.pid"),
      hosts: [`unix://${dir}/docker.sock`], "containerd-namespace": "berth-bench", "log-level": "warn",
    };
    writeFileSync(join(dir, "daemon.json"), JSON.stringify(conf));
    const child = spawn(dockerdBin, ["--config-file", join(dir, "daemon.json")], { stdio: ["ignore", "ignore", "ignore"], detached: true });
    dockerd = { pid: child.pid ?? 0, dir };
    dockerEnv.DOCKER_HOST = `unix://${dir}/docker.sock`;
    for (let i = 0; i < 100 && spawnSync("docker", ["version"], { env: dockerEnv, stdio: "ignore" }).status !== 0; i++) spawnSync("sleep", ["0.2"]);
  }
}
if (have("docker") && spawnSync("docker", ["info"], { env: dockerEnv, stdio: "ignore" }).status === 0) {
  try {
    run("docker", ["load", "-i", saved], dockerEnv);
    contenders.push({
      name: "docker run --rm",
      run: () => {
        const r = spawnSync("docker", ["run", "--rm", "--network", "none", "busybox", "true"], { env: dockerEnv, stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
        if (r.status !== 0) throw new Error(`docker run: ${r.stderr}`);
      },
    });
  } catch (e) {
    console.log(`(docker left out: ${(e as Error).message.split("\n")[0]})`);
  }
} else console.log("(docker left out: no docker daemon answers here and none could be started)");

try {
  settleBinaries([berth, join(repo, "bin/berth-init"), ...(baseline ? [baseline] : []), "runc", "podman", "conmon", "/usr/libexec/podman/conmon"]);
  const times = interleave(contenders, rounds);
  console.log(report(`run true in busybox, container removed after (${rounds} interleaved rounds)`, times, have("runc") ? "runc run" : "berth run --rm"));
  // idle monitor RSS: berth's monitor vs podman's conmon, for a `sleep` container
  const rss = (pid: number) => Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
  const ids: string[] = [];
  const berthRss: number[] = [];
  for (let i = 0; i < 5; i++) {
    const id = run(berth, ["run", "-d", "--network", "none", "busybox", "sleep", "1000"], env).trim();
    ids.push(id);
    const rec = JSON.parse(readFileSync(join(env.BERTH_ROOT!, "containers", id, "config.json"), "utf8")) as { state: { monitorPid: number } };
    berthRss.push(rss(rec.state.monitorPid));
  }
  run(berth, ["rm", "-f", ...ids], env);
  console.log(`idle monitor RSS (KiB): berth median ${median(berthRss)} (${berthRss.join(", ")})`);
  if (podmanEnv && contenders.some((c) => c.name.startsWith("podman"))) {
    const pr = ["--root", join(work, "podman/root"), "--runroot", join(work, "podman/run"), "--storage-driver", "overlay"];
    const conmonRss: number[] = [];
    const pids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const id = run("podman", [...pr, "run", "-d", "--network=none", "docker.io/library/busybox:latest", "sleep", "1000"], podmanEnv).trim();
      pids.push(id);
      const cpid = Number(run("podman", [...pr, "inspect", "-f", "{{.State.ConmonPid}}", id], podmanEnv).trim());
      conmonRss.push(rss(cpid));
    }
    run("podman", [...pr, "rm", "-f", "-t", "0", ...pids], podmanEnv);
    console.log(`idle monitor RSS (KiB): podman conmon median ${median(conmonRss)} (${conmonRss.join(", ")})`);
  }
} finally {
  if (dockerd) {
    spawnSync("sh", ["-c", 'docker ps -aq | xargs -r docker rm -f'], { env: dockerEnv, stdio: "ignore" });
    try {
      process.kill(dockerd.pid, "SIGTERM");
    } catch {
      /* gone */
    }
    for (let i = 0; i < 50; i++) {
      try {
        process.kill(dockerd.pid, 0);
      } catch {
        break;
      }
      spawnSync("sleep", ["0.2"]);
    }
    // what the daemon left mounted under its own directories
    const mounts = readFileSync("/proc/self/mountinfo", "utf8").split("\n").map((l) => l.split(" ")[4] ?? "").filter((m) => m.startsWith(dockerd!.dir));
    for (const m of mounts.sort().reverse()) spawnSync("umount", ["-l", m], { stdio: "ignore" });
  }
  if (podmanEnv) spawnSync("podman", ["--root", join(work, "podman/root"), "--runroot", join(work, "podman/run"), "--storage-driver", "overlay", "system", "reset", "-f"], { env: podmanEnv, stdio: "ignore" });
  spawnSync("umount", ["-R", join(work, "podman/root")], { stdio: "ignore" });
  rmSync(work, { recursive: true, force: true });
}
