// berth exec [OPTIONS] CONTAINER COMMAND [ARG...]: a process in a running container, attached
// through its own monitor (stdin with -i, a pty with -t: raw mode, resize on SIGWINCH), exiting
// with its status; -d returns once it runs.
import { readFileSync } from "node:fs";
import { bool, list, parseFlags, str, UsageError } from "../flags.ts";
import { execInRunning, readExecExit, type ExecRequest } from "../../engine/ops/exec.ts";
import { ExecError } from "../../engine/model.ts";
import { daemonError, errText, out, resolveId } from "./container-util.ts";

const FLAGS = [
  { name: "interactive", short: "i", kind: "bool" as const },
  { name: "tty", short: "t", kind: "bool" as const },
  { name: "detach", short: "d", kind: "bool" as const },
  { name: "env", short: "e", kind: "list" as const },
  { name: "env-file", kind: "list" as const },
  { name: "user", short: "u", kind: "string" as const },
  { name: "workdir", short: "w", kind: "string" as const },
  { name: "privileged", kind: "bool" as const },
  { name: "detach-keys", kind: "string" as const },
];

function envFiles(files: string[]): string[] {
  const outEnv: string[] = [];
  for (const f of files) {
    let text: string;
    try {
      text = readFileSync(f, "utf8");
    } catch (e) {
      throw new UsageError(`open ${f}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file or directory" : errText(e)}`);
    }
    for (const raw of text.split("\n")) {
      const l = raw.replace(/^\s+/, "");
      if (l && !l.startsWith("#")) outEnv.push(l);
    }
  }
  return outEnv;
}

/** -e NAME takes the value from berth's own environment (or is dropped), as Docker does. */
const expand = (e: string[]): string[] => e.flatMap((x) => (x.includes("=") ? [x] : process.env[x] !== undefined ? [`${x}=${process.env[x]}`] : []));

export default async function execCmd(args: string[]): Promise<number> {
  let id: string;
  let req: ExecRequest;
  try {
    const p = parseFlags(args, FLAGS, false);
    if (p.args.length < 2) throw new UsageError('"berth exec" requires at least 2 arguments.\n\nUsage:  berth exec [OPTIONS] CONTAINER COMMAND [ARG...]');
    const tty = bool(p, "tty");
    const interactive = bool(p, "interactive");
    if (tty && interactive && !process.stdin.isTTY) {
      out(2, "the input device is not a TTY\n");
      return 1;
    }
    req = {
      cmd: p.args.slice(1),
      interactive,
      tty,
      detach: bool(p, "detach"),
      env: expand([...envFiles(list(p, "env-file")), ...list(p, "env")]),
      user: str(p, "user"),
      workdir: str(p, "workdir"),
      privileged: bool(p, "privileged"),
      ...(tty && process.stdout.isTTY ? { consoleSize: { rows: process.stdout.rows ?? 24, cols: process.stdout.columns ?? 80 } } : {}),
    };
    if (req.workdir !== undefined && !req.workdir.startsWith("/")) throw new UsageError(`the working directory '${req.workdir}' is invalid, it needs to be an absolute path`);
    id = resolveId(p.args[0]!);
  } catch (e) {
    return daemonError(e);
  }
  let h;
  try {
    h = await execInRunning(id, id, req, (k, d) => out(k, d));
  } catch (e) {
    if (e instanceof ExecError) {
      out(2, `${e.message}\n`);
      return e.code;
    }
    return daemonError(e);
  }
  if (req.detach || !h.session) return 0;
  const s = h.session;
  const raw = req.tty && process.stdin.isTTY;
  if (raw) {
    process.stdin.setRawMode(true);
    const resize = () => s.resize(process.stdout.rows ?? 24, process.stdout.columns ?? 80);
    resize();
    process.on("SIGWINCH", resize);
  }
  if (req.interactive) {
    process.stdin.on("data", (d: Buffer) => s.stdin(d));
    process.stdin.on("end", () => s.closeStdin());
  }
  const code = await s.exit;
  if (raw) process.stdin.setRawMode(false);
  process.stdin.pause();
  return code ?? readExecExit(id, h.execId) ?? 126;
}
