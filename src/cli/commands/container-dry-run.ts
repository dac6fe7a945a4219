// run/create --dry-run: the generated OCI spec and the compiled plan; nothing is created.
import { join } from "node:path";
import type { ContainerOptions } from "../../engine/model.ts";
import { prepare, specFor } from "../../engine/ops/create.ts";
import { attachSocket, berthBinary, bundleDir, containerDir, exitFile, rootfsDir, seccompCacheDir } from "../../engine/paths.ts";
import { EXIT_COMMAND, HEALTH_COMMAND } from "../../engine/ops/start.ts";
import { existsSync, statSync } from "node:fs";
import { managerFor, rootless } from "../../runtime/ops/common.ts";
import { cgroupMountSources, cloneIntoCgroupDir } from "../../runtime/ops/plan-context.ts";
import { compilePlan } from "../../runtime/plan/compile.ts";
import { formatPlan } from "../../runtime/plan/format.ts";
import { compiledSeccomp } from "../../runtime/seccomp/cache.ts";
import { out } from "./container-util.ts";

export async function dryRun(o: ContainerOptions): Promise<number> {
  const { rec, layersTopFirst } = await prepare(o, { say: (l) => out(2, `${l}\n`) });
  rec.name = o.name ?? "(random)";
  const volumePaths = new Map(rec.mounts.filter((m) => m.type === "volume").map((m) => [m.target, `<volume ${m.source || "(anonymous)"}>`]));
  const spec = specFor(rec, volumePaths);
  const dir = containerDir(rec.id);
  const seccomp = spec.linux?.seccomp ? compiledSeccomp(spec.linux.seccomp, seccompCacheDir()) : undefined;
  const cg = managerFor({ id: rec.id, cgroupsPath: spec.linux?.cgroupsPath });
  const berth = berthBinary();
  const hc = rec.config.healthcheck;
  // the container's files do not exist yet: the compiler is told which sources are directories
  const plan = compilePlan(spec, {
    rootfs: rootfsDir(rec.id),
    bundle: bundleDir(rec.id),
    cgroupProcs: cg.joinFiles(),
    cloneIntoCgroup: cloneIntoCgroupDir(cg, spec.linux?.namespaces),
    cgroupVersion: cg.version,
    cgroupMounts: cgroupMountSources(cg),
    cgroupGate: !rootless(),
    mode: "monitor",
    execFifo: join(dir, "exec.fifo"),
    isDirectory: (p) => !p.startsWith(dir) && existsSync(p) && statSync(p).isDirectory(),
    seccomp,
    rootfsMount: { source: "overlay", fstype: "overlay", data: `lowerdir=${layersTopFirst.join(":")},upperdir=${join(dir, "diff")},workdir=${join(dir, "work")}` },
    monitor: {
      logPath: rec.logPath, logMaxSize: o.logMaxSize, logMaxFiles: o.logMaxFiles, exitFile: exitFile(rec.id), attachSocket: attachSocket(rec.id),
      stdin: o.interactive, exitCommand: [berth, EXIT_COMMAND, rec.id],
      ...(hc ? { health: { intervalMs: hc.intervalMs, argv: [berth, HEALTH_COMMAND, rec.id] } } : {}),
    },
  });
  out(1, `# OCI spec (${rec.specPath})\n${JSON.stringify(spec, null, 2)}\n# plan (${plan.steps.length} steps)\n${formatPlan(plan)}\n`);
  return 0;
}
