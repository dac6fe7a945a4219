// berth login [OPTIONS] [SERVER]
import { bool, parseFlags, str, UsageError } from "../flags.ts";
import { login } from "../../image/index.ts";
import { fail } from "./image-util.ts";
import { writeStdout, writeStderr } from "../../sys/io.ts";

async function readLine(): Promise<string> {
  let s = "";
  for await (const c of process.stdin) {
    s += (c as Buffer).toString();
    if (s.includes("\n")) break;
  }
  return s.split("\n")[0]!.replace(/\r$/, "");
}

export default async function loginCmd(argv: string[]): Promise<number> {
  const p = parseFlags(argv, [
    { name: "username", short: "u", kind: "string" },
    { name: "password", short: "p", kind: "string" },
    { name: "password-stdin", kind: "bool" },
  ]);
  if (p.args.length > 1) throw new UsageError('"login" requires at most 1 argument.');
  let user = str(p, "username");
  let pass = str(p, "password");
  if (bool(p, "password-stdin")) {
    if (pass) throw new UsageError("--password and --password-stdin are mutually exclusive");
    if (!user) throw new UsageError("Must provide --username with --password-stdin");
    pass = (await new Response(Bun.stdin.stream()).text()).replace(/\r?\n$/, "");
  } else if (pass) {
    writeStderr("WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n");
  }
  if (!user) {
    writeStdout("Username: ");
    user = await readLine();
  }
  if (!pass) {
    writeStdout("Password: ");
    pass = await readLine();
  }
  if (!user || !pass) throw new UsageError("Error: Cannot perform an interactive login without a username and a password");
  try {
    await login(p.args[0], user, pass);
    writeStdout("Login Succeeded\n");
    return 0;
  } catch (e) {
    return fail(e);
  }
}
