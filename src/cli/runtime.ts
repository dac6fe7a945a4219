#!/usr/bin/env bun
// berth-runtime: an OCI runtime with runc's command line. This file parses the global flags
// and dispatches; each command is a small module in runtime/ loaded on demand.
// Nothing here loads node:fs up front (~1 ms of a compiled command's start-up): a plain `start`
// never needs it (runtime/ops/start-quick.ts).
import { parseFlags, str, bool, UsageError, type FlagDef } from "./flags.ts";
import type { StateStore } from "../runtime/state.ts";
import { trace } from "../sys/trace.ts";
import { writeStdout, writeStderr } from "../sys/io.ts";

export interface RuntimeCtx {
  /** --root: where the containers' state lives */
  root: string;
  /** the state store under root, made on first use */
  readonly store: StateStore;
  args: string[];
}
type Cmd = (ctx: RuntimeCtx) => Promise<number>;
const commands: Record<string, () => Promise<{ default: Cmd }>> = {
  create: () => import("./runtime/create.ts"),
  start: () => import("./runtime/start.ts"),
  run: () => import("./runtime/run.ts"),
  state: () => import("./runtime/state.ts"),
  kill: () => import("./runtime/kill.ts"),
  delete: () => import("./runtime/delete.ts"),
  list: () => import("./runtime/list.ts"),
  pause: () => import("./runtime/pause.ts"),
  resume: () => import("./runtime/resume.ts"),
  ps: () => import("./runtime/ps.ts"),
  plan: () => import("./runtime/plan.ts"),
  spec: () => import("./runtime/spec.ts"),
  exec: () => import("./runtime/exec.ts"),
  features: () => import("./runtime/features.ts"),
  update: () => import("./runtime/update.ts"),
  events: () => import("./runtime/events.ts"),
};

const GLOBAL: FlagDef[] = [
  { name: "root", kind: "string" },
  { name: "log", kind: "string" },
  { name: "log-format", kind: "string" },
  { name: "debug", kind: "bool" },
  { name: "systemd-cgroup", kind: "bool" },
  { name: "rootless", kind: "string" },
  { name: "criu", kind: "string" },
  { name: "help", short: "h", kind: "bool" },
  { name: "version", short: "v", kind: "bool" },
];

let logPath: string | undefined;
let logJson = false;

function logError(msg: string): void {
  if (logPath) {
    const line = logJson ? JSON.stringify({ level: "error", msg, time: new Date().toISOString() }) : `time="${new Date().toISOString()}" level=error msg="${msg}"`;
    try {
      (require("node:fs") as typeof import("node:fs")).appendFileSync(logPath, `${line}\n`);
    } catch {
      /* the log is best effort; stderr still gets it */
    }
  }
  writeStderr(`berth-runtime: ${msg}\n`);
}

async function main(argv: string[]): Promise<number> {
  const g = parseFlags(argv, GLOBAL, false);
  logPath = str(g, "log");
  logJson = str(g, "log-format") === "json";
  if (bool(g, "version")) {
    writeStdout("berth-runtime version 0.1.0\nspec: 1.2.0\n");
    return 0;
  }
  const [name, ...rest] = g.args;
  if (!name || bool(g, "help")) {
    writeStdout(`usage: berth-runtime [--root DIR] [--log FILE] [--log-format text|json] COMMAND\ncommands: ${Object.keys(commands).join(", ")}\n`);
    return name ? 0 : 1;
  }
  if (bool(g, "systemd-cgroup")) throw new Error("--systemd-cgroup: the systemd cgroup driver is not supported (berth uses cgroupfs)");
  const loader = commands[name];
  if (!loader) throw new UsageError(`unknown command "${name}"`);
  // runc's defaults: /run/runc as root, $XDG_RUNTIME_DIR/runc rootless
  const uid = process.getuid?.() ?? 0;
  const defaultRoot = uid === 0 ? "/run/berth-runtime" : `${process.env.XDG_RUNTIME_DIR || `/tmp/berth-runtime-${uid}`}/berth-runtime`;
  const root = str(g, "root") ?? defaultRoot;
  let store: StateStore | undefined;
  const mod = await loader();
  trace(`${name}: module loaded`);
  return mod.default({
    root,
    get store() {
      return (store ??= new (require("../runtime/state.ts") as typeof import("../runtime/state.ts")).StateStore(root));
    },
    args: rest,
  });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    logError(err instanceof Error ? err.message : String(err));
    if (process.env.BERTH_DEBUG && err instanceof Error) writeStderr(`${err.stack}\n`);
    process.exit(1);
  },
);
