// berth push [OPTIONS] NAME[:TAG]
import { bool, parseFlags, UsageError } from "../flags.ts";
import { pushImage } from "../../image/index.ts";
import { normalizeReference, parseReference, repoName } from "../../image/reference.ts";
import { fail } from "./image-util.ts";
import { writeStdout } from "../../sys/io.ts";

export default async function push(argv: string[]): Promise<number> {
  const p = parseFlags(argv, [
    { name: "quiet", short: "q", kind: "bool" },
    { name: "all-tags", short: "a", kind: "bool" },
    { name: "disable-content-trust", kind: "bool" },
    { name: "platform", kind: "string" },
  ]);
  if (p.args.length !== 1) throw new UsageError('"push" requires exactly 1 argument.');
  const input = p.args[0]!;
  const given = parseReference(input);
  const ref = normalizeReference(input);
  const quiet = bool(p, "quiet");
  const out = (s: string) => {
    if (!quiet) writeStdout(s);
  };
  if (!given.tag && !given.digest) out("Using default tag: latest\n");
  out(`The push refers to repository [${repoName(ref)}]\n`);
  try {
    const res = await pushImage(input, {
      onProgress: (e) => {
        if (e.type !== "layer") return;
        if (e.status === "pushed") out(`${e.digest.slice(7, 19)}: Pushed\n`);
        if (e.status === "exists") out(`${e.digest.slice(7, 19)}: Layer already exists\n`);
      },
    });
    out(`${ref.tag ?? ref.digest}: digest: ${res.digest} size: ${res.size}\n`);
    if (quiet) writeStdout(`${repoName(ref)}:${ref.tag}\n`);
    return 0;
  } catch (e) {
    return fail(e);
  }
}
