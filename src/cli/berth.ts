#!/usr/bin/env bun
// berth: the engine CLI. This file only dispatches; each command lives in commands/ and is
// loaded on demand so that start-up stays small.
import { UsageError } from "./flags.ts";

export type Command = (args: string[]) => Promise<number>;
type Loader = () => Promise<{ default: Command }>;

const commands: Record<string, Loader> = {
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
  network: () => import("./commands/network.ts"),
};

export function registerCommand(name: string, loader: Loader): void {
  commands[name] = loader;
}

function usage(): string {
  return `Usage: berth COMMAND [OPTIONS]\n\nCommands:\n${Object.keys(commands)
    .sort()
    .map((c) => `  ${c}`)
    .join("\n")}\n`;
}

async function main(argv: string[]): Promise<number> {
  let [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(usage());
    return name ? 0 : 1;
  }
  if (name === "--version" || name === "-v") name = "version";
  // Docker's management-command aliases: `berth container ls` == `berth ps`, etc.
  if ((name === "container" || name === "image") && rest[0] && commands[`${name} ${rest[0]}`]) {
    name = `${name} ${rest.shift()}`;
  }
  const loader = commands[name];
  if (!loader) {
    process.stderr.write(`berth: '${name}' is not a berth command.\nSee 'berth --help'\n`);
    return 125;
  }
  const mod = await loader();
  return mod.default(rest);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const msg = err instanceof Error ? err.message : String(err);
    process.stderr.write(`berth: ${msg}\n`);
    if (process.env.BERTH_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    process.exit(err instanceof UsageError ? 125 : 125);
  },
);
