// berth pull [OPTIONS] NAME[:TAG|@DIGEST]
import { bool, parseFlags, str, UsageError } from "../flags.ts";
import { pullImage, type PullEvent } from "../../image/index.ts";
import { familiarName, normalizeReference, parseReference, repoName } from "../../image/reference.ts";
import { fail, humanSize } from "./image-util.ts";
import { writeStdout } from "../../sys/io.ts";

const short = (d: string) => d.slice(7, 19);

export default async function pull(argv: string[]): Promise<number> {
  const p = parseFlags(argv, [
    { name: "quiet", short: "q", kind: "bool" },
    { name: "platform", kind: "string" },
    { name: "all-tags", short: "a", kind: "bool" },
    { name: "disable-content-trust", kind: "bool" },
    { name: "help", kind: "bool" },
  ]);
  if (bool(p, "help")) {
    writeStdout("Usage:  berth pull [OPTIONS] NAME[:TAG|@DIGEST]\n\nDownload an image from a registry\n");
    return 0;
  }
  if (p.args.length !== 1) throw new UsageError('"pull" requires exactly 1 argument.');
  if (bool(p, "all-tags")) throw new UsageError("--all-tags is not supported");
  const input = p.args[0]!;
  const given = parseReference(input);
  const ref = normalizeReference(input);
  const quiet = bool(p, "quiet");
  const tty = !quiet && process.stdout.isTTY === true;
  const out = (s: string) => {
    if (!quiet) writeStdout(s);
  };
  if (!given.tag && !given.digest) out("Using default tag: latest\n");
  const famName = familiarName(repoName(ref));
  out(`${ref.digest ?? ref.tag}: Pulling from ${ref.path}\n`);
  const order: string[] = [];
  const lines = new Map<string, string>();
  let drawn = 0;
  const redraw = () => {
    if (!tty) return;
    let s = drawn > 0 ? `\x1b[${drawn}A` : "";
    for (const d of order) s += `\x1b[2K${short(d)}: ${lines.get(d) ?? ""}\n`;
    drawn = order.length;
    writeStdout(s);
  };
  const bar = (cur: number, total: number) => {
    const w = 50;
    const n = total > 0 ? Math.min(w, Math.floor((cur / total) * w)) : 0;
    return `[${"=".repeat(Math.max(0, n - 1))}${n > 0 ? ">" : ""}${" ".repeat(w - n)}]  ${humanSize(cur)}/${humanSize(total)}`;
  };
  const onProgress = (e: PullEvent) => {
    if (e.type !== "layer") return;
    if (!order.includes(e.digest)) order.push(e.digest);
    const plain = (s: string) => {
      if (!tty) out(`${short(e.digest)}: ${s}\n`);
      lines.set(e.digest, s);
    };
    switch (e.status) {
      case "waiting":
        plain("Pulling fs layer");
        break;
      case "downloading":
        lines.set(e.digest, `Downloading ${bar(e.current ?? 0, e.total ?? 0)}`);
        break;
      case "extracting":
        lines.set(e.digest, "Extracting");
        break;
      case "complete":
        plain("Pull complete");
        break;
      case "exists":
        plain("Already exists");
        break;
      case "failed":
        plain("Failed");
        break;
    }
    redraw();
  };
  let timer: ReturnType<typeof setInterval> | undefined;
  if (tty) timer = setInterval(redraw, 100);
  let upToDate = false;
  try {
    const opts: Parameters<typeof pullImage>[1] = {
      onProgress: (e) => {
        if (e.type === "done") upToDate = e.upToDate;
        onProgress(e);
      },
    };
    const plat = str(p, "platform");
    if (plat) opts.platform = plat;
    const rec = await pullImage(input, opts);
    if (timer) clearInterval(timer);
    redraw();
    const digest = rec.repoDigests.find((d) => d.startsWith(`${repoName(ref)}@`))?.split("@")[1] ?? rec.manifestDigest;
    const shown = `${famName}${ref.digest ? `@${ref.digest}` : `:${ref.tag}`}`;
    out(`Digest: ${digest}\n`);
    out(upToDate ? `Status: Image is up to date for ${shown}\n` : `Status: Downloaded newer image for ${shown}\n`);
    writeStdout(`${repoName(ref)}${ref.digest ? `@${ref.digest}` : `:${ref.tag}`}\n`);
    return 0;
  } catch (e) {
    if (timer) clearInterval(timer);
    return fail(e);
  }
}
