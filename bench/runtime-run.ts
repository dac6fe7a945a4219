// `berth-runtime run` vs `runc run` of the same busybox bundle running /bin/true,
// interleaved in one run. Usage: scripts/bun bench/runtime-run.ts [rounds]
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { defaultSpec } from "../src/runtime/default-spec.ts";
import { dockerDefaultProfile } from "../src/runtime/seccomp/default-profile.ts";
import { busyboxRootfs } from "../test/fixtures/images.ts";
import { have, interleave, median, report, settleBinaries, sh, type Contender } from "./lib.ts";

const rounds = Number(process.argv[2] ?? 30);
const repo = resolve(import.meta.dir, "..");
const work = mkdtempSync(join(tmpdir(), "berth-bench-"));
const bundle = join(work, "bundle");
busyboxRootfs(join(bundle, "rootfs"));
const spec = defaultSpec({ args: ["true"], terminal: false });
writeFileSync(join(bundle, "config.json"), JSON.stringify(spec));

const contenders: Contender[] = [
  { name: "berth-runtime run", run: (i) => sh(join(repo, "bin/berth-runtime"), ["--root", join(work, "berth"), "run", `b${i}`], { cwd: bundle }) },
];
if (have("runc")) contenders.push({ name: "runc run", run: (i) => sh("runc", ["--root", join(work, "runc"), "run", `r${i}`], { cwd: bundle }) });
if (have("crun")) contenders.push({ name: "crun run", run: (i) => sh("crun", ["--root", join(work, "crun"), "run", `c${i}`], { cwd: bundle }) });

// the same run with Docker's default seccomp profile (compiled once, then cached)
const seccompBundle = join(work, "bundle-seccomp");
mkdirSync(seccompBundle);
symlinkSync(join(bundle, "rootfs"), join(seccompBundle, "rootfs"));
writeFileSync(join(seccompBundle, "config.json"), JSON.stringify({ ...spec, linux: { ...spec.linux, seccomp: dockerDefaultProfile(spec.process!.capabilities!.bounding!) } }));
const seccompRuns: Contender[] = [
  { name: "berth-runtime run, no seccomp", run: (i) => sh(join(repo, "bin/berth-runtime"), ["--root", join(work, "berth-s0"), "run", `s${i}`], { cwd: bundle }) },
  { name: "berth-runtime run, docker seccomp", run: (i) => sh(join(repo, "bin/berth-runtime"), ["--root", join(work, "berth-s1"), "run", `s${i}`], { cwd: seccompBundle }) },
];

// create + start + delete of a container whose process exits at once (each step timed too)
const phases = new Map<string, number[]>();
const timed = (key: string, f: () => void) => {
  const t0 = performance.now();
  f();
  if (!phases.has(key)) phases.set(key, []);
  phases.get(key)!.push(performance.now() - t0);
};
const lifecycle = (name: string, bin: string, dir: string): Contender => ({
  name,
  run: (i) => {
    const id = `l${i}`;
    timed(`${name}: create`, () => sh(bin, ["--root", dir, "create", "--bundle", bundle, id]));
    timed(`${name}: start`, () => sh(bin, ["--root", dir, "start", id]));
    timed(`${name}: delete`, () => sh(bin, ["--root", dir, "delete", "--force", id]));
  },
});
const cycle = [lifecycle("berth-runtime create+start+delete", join(repo, "bin/berth-runtime"), join(work, "berth-l"))];
if (have("runc")) cycle.push(lifecycle("runc create+start+delete", "runc", join(work, "runc-l")));

settleBinaries([join(repo, "bin/berth-runtime"), join(repo, "bin/berth-init"), "runc", "crun"]);
try {
  const times = interleave(contenders.filter((c) => c.name !== "crun run" || tryOnce(c)), rounds);
  console.log(report(`run /bin/true in a busybox bundle (${rounds} interleaved rounds)`, times, have("runc") ? "runc run" : "berth-runtime run"));
  console.log("");
  const t2 = interleave(cycle, rounds);
  console.log(report(`create + start + delete, /bin/true (${rounds} interleaved rounds)`, t2, have("runc") ? "runc create+start+delete" : cycle[0]!.name));
  // per step, warm-up rounds left out
  for (const [k, xs] of phases) console.log(`  ${k.padEnd(44)} median ${median(xs.slice(3)).toFixed(1)} ms`);
  console.log("");
  const t3 = interleave(seccompRuns, rounds);
  console.log(report(`seccomp: Docker's default profile vs none (${rounds} interleaved rounds)`, t3, "berth-runtime run, no seccomp"));
} finally {
  rmSync(work, { recursive: true, force: true });
}

function tryOnce(c: Contender): boolean {
  try {
    c.run(9999);
    return true;
  } catch {
    console.log(`(${c.name} fails on this host: left out)`);
    return false;
  }
}
