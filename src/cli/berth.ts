#!/usr/bin/env bun
// berth: the engine CLI. This file only dispatches; each command lives in commands/ and is
// loaded on demand so that start-up stays small.
import { UsageError } from "./flags.ts";
import { writeStdout, writeStderr } from "../sys/io.ts";
import { restartWithoutFtl } from "../sys/jit.ts";

export type Command = (args: string[]) => Promise<number>;
type Loader = () => Promise<{ default: Command }>;

const commands: Record<string, Loader> = {
  // containers (the engine)
  run: () => import("./commands/run.ts"),
  create: () => import("./commands/create.ts"),
  start: () => import("./commands/start.ts"),
  stop: () => import("./commands/stop.ts"),
  kill: () => import("./commands/kill.ts"),
  restart: () => import("./commands/restart.ts"),
  rm: () => import("./commands/rm.ts"),
  ps: () => import("./commands/ps.ts"),
  logs: () => import("./commands/logs.ts"),
  wait: () => import("./commands/wait.ts"),
  attach: () => import("./commands/attach.ts"),
  inspect: () => import("./commands/inspect.ts"),
  pause: () => import("./commands/pause.ts"),
  unpause: () => import("./commands/unpause.ts"),
  rename: () => import("./commands/rename.ts"),
  top: () => import("./commands/top.ts"),
  stats: () => import("./commands/stats.ts"),
  port: () => import("./commands/port.ts"),
  "container run": () => import("./commands/run.ts"),
  "container create": () => import("./commands/create.ts"),
  "container start": () => import("./commands/start.ts"),
  "container stop": () => import("./commands/stop.ts"),
  "container kill": () => import("./commands/kill.ts"),
  "container restart": () => import("./commands/restart.ts"),
  "container rm": () => import("./commands/rm.ts"),
  "container remove": () => import("./commands/rm.ts"),
  "container ls": () => import("./commands/ps.ts"),
  "container list": () => import("./commands/ps.ts"),
  "container ps": () => import("./commands/ps.ts"),
  "container logs": () => import("./commands/logs.ts"),
  "container wait": () => import("./commands/wait.ts"),
  "container attach": () => import("./commands/attach.ts"),
  "container inspect": () => import("./commands/inspect.ts"),
  "container pause": () => import("./commands/pause.ts"),
  "container unpause": () => import("./commands/unpause.ts"),
  "container rename": () => import("./commands/rename.ts"),
  "container top": () => import("./commands/top.ts"),
  "container stats": () => import("./commands/stats.ts"),
  "container port": () => import("./commands/port.ts"),
  "container prune": () => import("./commands/container-prune.ts"),
  exec: () => import("./commands/exec.ts"),
  cp: () => import("./commands/cp.ts"),
  diff: () => import("./commands/diff.ts"),
  commit: () => import("./commands/commit.ts"),
  "container exec": () => import("./commands/exec.ts"),
  "container cp": () => import("./commands/cp.ts"),
  "container diff": () => import("./commands/diff.ts"),
  "container commit": () => import("./commands/commit.ts"),
  "container export": () => import("./commands/export.ts"),
  "__exec-exited": () => import("./commands/exec-exited.ts"),
  // hidden: run by a container's monitor
  "__container-exited": () => import("./commands/container-exited.ts"),
  "__container-health": () => import("./commands/container-health.ts"),
  version: () => import("./commands/version.ts"),
  info: () => import("./commands/info.ts"),
  pull: () => import("./commands/pull.ts"),
  push: () => import("./commands/push.ts"),
  images: () => import("./commands/images.ts"),
  tag: () => import("./commands/tag.ts"),
  rmi: () => import("./commands/rmi.ts"),
  save: () => import("./commands/save.ts"),
  load: () => import("./commands/load.ts"),
  import: () => import("./commands/import.ts"),
  export: () => import("./commands/export.ts"),
  history: () => import("./commands/history.ts"),
  login: () => import("./commands/login.ts"),
  logout: () => import("./commands/logout.ts"),
  "image ls": () => import("./commands/images.ts"),
  "image list": () => import("./commands/images.ts"),
  "image inspect": () => import("./commands/image-inspect.ts"),
  "image prune": () => import("./commands/image-prune.ts"),
  "image rm": () => import("./commands/rmi.ts"),
  "image remove": () => import("./commands/rmi.ts"),
  "image tag": () => import("./commands/tag.ts"),
  "image pull": () => import("./commands/pull.ts"),
  "image push": () => import("./commands/push.ts"),
  "image save": () => import("./commands/save.ts"),
  "image load": () => import("./commands/load.ts"),
  "image import": () => import("./commands/import.ts"),
  "image history": () => import("./commands/history.ts"),
  "volume create": () => import("./commands/volume-create.ts"),
  "volume ls": () => import("./commands/volume-ls.ts"),
  "volume list": () => import("./commands/volume-ls.ts"),
  "volume inspect": () => import("./commands/volume-inspect.ts"),
  "volume rm": () => import("./commands/volume-rm.ts"),
  "volume remove": () => import("./commands/volume-rm.ts"),
  "volume prune": () => import("./commands/volume-prune.ts"),
  events: () => import("./commands/events.ts"),
  "system events": () => import("./commands/events.ts"),
  "system df": () => import("./commands/system-df.ts"),
  network: () => import("./commands/network.ts"),
};

export function registerCommand(name: string, loader: Loader): void {
  commands[name] = loader;
}

function usage(): string {
  return `Usage: berth COMMAND [OPTIONS]\n\nCommands:\n${Object.keys(commands)
    .filter((c) => !c.startsWith("__"))
    .sort()
    .map((c) => `  ${c}`)
    .join("\n")}\n`;
}

async function main(argv: string[]): Promise<number> {
  let [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    writeStdout(usage());
    return name ? 0 : 1;
  }
  if (name === "--version" || name === "-v") name = "version";
  // Docker's management-command aliases: `berth container ls` == `berth ps`, etc.
  if (["container", "image", "volume", "system"].includes(name) && rest[0] && commands[`${name} ${rest[0]}`]) {
    name = `${name} ${rest.shift()}`;
  }
  const loader = commands[name];
  if (!loader) {
    writeStderr(`berth: '${name}' is not a berth command.\nSee 'berth --help'\n`);
    return 125;
  }
  // a pull runs with JSC's FTL tier off, re-executed before anything loads (sys/jit.ts says why)
  if (name === "pull" || name === "image pull") restartWithoutFtl();
  const mod = await loader();
  return mod.default(rest);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const msg = err instanceof Error ? err.message : String(err);
    writeStderr(`berth: ${msg}\n`);
    if (process.env.BERTH_DEBUG && err instanceof Error) writeStderr(`${err.stack}\n`);
    process.exit(err instanceof UsageError ? 125 : 125);
  },
);
