// create: everything up to the point where the container's process waits to be started.
// Order: validate the config, claim the id, make the cgroup, compile the plan, run the helper.
// Any failure undoes what was made (cgroup, state dir, process) before the error is returned.
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import type { CgroupManager } from "../cgroups/index.ts";
import { startHelper, type HelperRun } from "../helper.ts";
import { compileInPhases, compilePlan, type CompileContext, type MonitorContext } from "../plan/compile.ts";
import type { Plan } from "../plan/types.ts";
import type { Spec } from "../spec.ts";
import { procStart, writeAtomic, type ContainerState, type StateStore } from "../state.ts";
import { parseSpec } from "../validate.ts";
import { managerFor, rootless } from "./common.ts";
import { cgroupMountSources, cloneIntoCgroupDir, ownCgroupJoinFiles, seccompFor } from "./plan-context.ts";
import { trace } from "../../sys/trace.ts";
import { fdLayout } from "../plan/builder.ts";
import { runHooks, stateJson } from "./hooks.ts";
import { detachHostMounts } from "./delete.ts";

export interface CreateOptions {
  id: string;
  bundle: string;
  pidFile?: string;
  consoleSocket?: string;
  noPivot?: boolean;
  noNewKeyring?: boolean;
  preserveFds?: number;
  /** run: no exec fifo, the helper stays the parent and reports the exit status */
  foreground?: boolean;
  seccomp?: CompileContext["seccomp"];
  /** engine containers: the helper stays as the container's monitor (logs, attach, exit file) */
  monitor?: MonitorContext;
  /** bring up lo in the container's new network namespace */
  loopbackUp?: boolean;
  /** the engine's overlay, mounted on the rootfs inside the container's mount namespace */
  rootfsMount?: CompileContext["rootfsMount"];
}

export function loadBundle(bundle: string): { spec: Spec; bundle: string; rootfs: string } {
  const dir = resolve(bundle);
  const path = `${dir}/config.json`;
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new Error(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file (is --bundle right?)" : (e as Error).message}`);
  }
  const spec = parseSpec(text, path);
  const rootPath = spec.root!.path;
  const abs = isAbsolute(rootPath) ? rootPath : resolve(dir, rootPath);
  if (!existsSync(abs)) throw new Error(`root.path: ${abs} does not exist`);
  return { spec, bundle: dir, rootfs: realpathSync(abs) };
}

/** Compile without side effects: what `plan` prints and what create runs. */
/** Does this config need a separate start (startContainer or poststart hooks)? */
export function needsStart(spec: Spec): boolean {
  return !!(spec.hooks?.startContainer?.length || spec.hooks?.poststart?.length);
}

type PlanOptions = Omit<CreateOptions, "id" | "bundle"> & { id?: string; hookSync?: boolean; isDirectory?: (p: string) => boolean };

export function planFor(spec: Spec, bundle: string, rootfs: string, cg: CgroupManager, o: PlanOptions, fifo?: string): Plan {
  return compilePlan(spec, planContext(spec, bundle, rootfs, cg, o, fifo));
}

function planContext(spec: Spec, bundle: string, rootfs: string, cg: CgroupManager, o: PlanOptions, fifo?: string): CompileContext {
  const into = cloneIntoCgroupDir(cg, spec.linux?.namespaces);
  return {
    rootfs,
    bundle,
    cgroupProcs: cg.joinFiles(),
    cloneIntoCgroup: into,
    cgroupVersion: cg.version,
    cgroupMounts: cgroupMountSources(cg),
    // as root create sends the plan before the cgroup exists (see createContainer)
    cgroupGate: !rootless(),
    mode: o.monitor ? "monitor" : o.foreground ? "foreground" : "detached",
    monitor: o.monitor,
    rootfsMount: o.rootfsMount,
    execFifo: fifo,
    consoleSocket: o.consoleSocket,
    preserveFds: o.preserveFds,
    noPivot: o.noPivot,
    noNewKeyring: o.noNewKeyring,
    id: o.id,
    seccomp: o.seccomp,
    hookSync: o.hookSync,
    // a monitor cloned its child into the cgroup never joined it: nothing to leave
    leaveCgroup: o.monitor && !into ? ownCgroupJoinFiles(cg) : undefined,
    idMapper: rootless() ? "newidmap" : "write",
    loopbackUp: o.loopbackUp,
    isDirectory: o.isDirectory,
  };
}

export interface Created {
  state: ContainerState;
  helper: HelperRun;
}

export async function createContainer(store: StateStore, o: CreateOptions): Promise<Created> {
  trace("create: start");
  const { spec, bundle, rootfs } = loadBundle(o.bundle);
  // compiled before anything exists, so a bad profile leaves nothing behind
  const seccomp = o.seccomp ?? seccompFor(spec, store);
  trace("create: config loaded and validated");
  store.claim(o.id);
  const cgroupsPath = spec.linux?.cgroupsPath || undefined;
  const state: ContainerState = {
    ociVersion: spec.ociVersion,
    id: o.id,
    pid: 0,
    startTime: 0,
    bundle,
    rootfs,
    created: new Date().toISOString(),
    // node:os only loads for rootless containers
    owner: process.getuid?.() === 0 ? "" : (require("node:os") as typeof import("node:os")).userInfo().username,
    annotations: spec.annotations,
    phase: "creating",
    cgroupsPath,
    cgroupPaths: [],
    config: spec,
  };
  let cg: CgroupManager | undefined;
  let helper: HelperRun | undefined;
  let pid = 0;
  try {
    cg = managerFor(state);
    state.cgroupPaths = cg.paths();
    trace("create: cgroup paths resolved");
    store.save(state);
    trace("create: state saved (creating)");
    // exec the helper now: it waits for its plan while the cgroup is made
    // a monitor must not hold the starting command's terminal or pipes
    const quiet = o.monitor ? ("ignore" as const) : ("inherit" as const);
    const hooks = spec.hooks ?? {};
    const hookSync = !!(hooks.prestart?.length || hooks.createRuntime?.length || hooks.createContainer?.length);
    const fds = fdLayout(o.preserveFds ?? 0);
    const resumeFd = hookSync ? fds.resume : undefined;
    // As root the plan goes out before the cgroup exists: the helper clones (making the
    // namespaces) while the cgroup is made here, and the join waits at the plan's WAIT_GO.
    // Rootless, a cgroup may turn out not to be possible: that must be known before compiling.
    const gate = !rootless();
    helper = startHelper({ preserveFds: o.preserveFds, detached: true, stdin: quiet, stdout: quiet, stderr: quiet, resumeFd, goFd: gate ? fds.go : undefined });
    const h = helper;
    h.onHooks(async () => {
      const pid = await h.pid;
      const json = stateJson({ ...state, pid }, "creating");
      // prestart is deprecated but still called, right before createRuntime; its state says
      // "created", as the runtime-tools suite expects of it
      await runHooks("prestart", hooks.prestart, stateJson({ ...state, pid }, "created"));
      await runHooks("createRuntime", hooks.createRuntime, json);
      await runHooks("createContainer", hooks.createContainer, json);
    });
    trace("create: helper spawned");
    // start hooks need a start phase, so a foreground run with hooks waits on the fifo too
    const fifo = !o.foreground || needsStart(spec) ? store.fifo(o.id) : undefined;
    if (gate) {
      // where the child joins its cgroup itself, the helper gets the parent's steps first and
      // clones (the costly namespaces) while the child's are compiled
      const phases = compileInPhases(spec, planContext(spec, bundle, rootfs, cg, { ...o, seccomp, hookSync }, fifo));
      const head = phases.next();
      if (!head.done && head.value.split) {
        helper.sendHead(head.value.steps);
        trace("create: plan head sent");
      }
      let r = phases.next();
      while (!r.done) r = phases.next();
      const plan = r.value;
      helper.send(plan);
      trace(`create: plan sent (${plan.steps.length} steps)`);
      cg.create();
      // the limits before go, not while the child sets up its root: it makes the device nodes
      // after it joins, and a devices list half written ("a" denied, the allows not yet) refuses
      // its mknod (runc makes them before it writes any limit)
      cg.apply(spec.linux?.resources ?? {});
      helper.go();
      trace("create: cgroup ready");
    } else {
      try {
        cg.create();
      } catch (e) {
        // rootless: no delegated cgroup. Fine unless limits were asked for (NoCgroup.apply says so).
        if (!/EACCES|EPERM|EROFS/.test(String((e as Error).message))) throw e;
        state.noCgroup = `no cgroup: running rootless without a delegated cgroup (${(e as Error).message})`;
        state.cgroupPaths = [];
        cg = managerFor(state);
        store.save(state);
      }
      cg.apply(spec.linux?.resources ?? {});
      trace("create: cgroup ready");
      const plan = planFor(spec, bundle, rootfs, cg, { ...o, seccomp, hookSync }, fifo);
      helper.send(plan);
      trace(`create: plan sent (${plan.steps.length} steps)`);
    }
    pid = await helper.pid;
    trace("create: pid reported");
    // Read the start time as early as possible: in foreground mode the workload may run and
    // exit before `ready` is processed here.
    const early = procStart(pid);
    await helper.ready;
    trace("create: init ready");
    const ps = early ?? procStart(pid);
    if (!ps && !o.foreground) throw new Error("container init exited during create");
    state.pid = pid;
    // a foreground container that already finished is recorded as stopped
    state.startTime = ps?.start ?? -1;
    state.phase = "created";
    store.save(state);
    if (o.pidFile) writeAtomic(resolve(o.pidFile), String(pid));
    trace("create: state saved");
    if (!o.foreground) helper.release();
    return { state, helper };
  } catch (e) {
    if (pid > 0) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* already gone */
      }
    }
    if (helper) {
      // closing the go pipe unblocks a child waiting to join the cgroup: it gives up and exits
      helper.child.closeAll();
      helper.child.kill("SIGKILL");
      await helper.exit;
    }
    if (cg) {
      try {
        cg.killAll(9);
        cg.destroy();
      } catch {
        /* best effort: report the original error */
      }
    }
    detachHostMounts(state);
    store.remove(o.id);
    throw e;
  }
}
