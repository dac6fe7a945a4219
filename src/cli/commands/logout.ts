// berth logout [SERVER]
import { parseFlags, UsageError } from "../flags.ts";
import { logout } from "../../image/index.ts";
import { writeStdout } from "../../sys/io.ts";

export default async function logoutCmd(argv: string[]): Promise<number> {
  const p = parseFlags(argv, []);
  if (p.args.length > 1) throw new UsageError('"logout" requires at most 1 argument.');
  const r = logout(p.args[0]);
  if (!r.removed) {
    writeStdout(`Not logged in to ${r.domain}\n`);
    return 0;
  }
  writeStdout(`Removing login credentials for ${r.domain}\n`);
  return 0;
}
