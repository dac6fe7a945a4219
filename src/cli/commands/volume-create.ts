// berth volume create [OPTIONS] [VOLUME]
import { list, parseFlags, str, UsageError } from "../flags.ts";
import { createVolume } from "../../engine/volumes/index.ts";
import { fail } from "./image-util.ts";
import { keyValues } from "./volume-util.ts";
import { writeStdout } from "../../sys/io.ts";

export default async function volumeCreate(argv: string[]): Promise<number> {
  const p = parseFlags(argv, [
    { name: "name", kind: "string" },
    { name: "driver", short: "d", kind: "string" },
    { name: "label", kind: "list" },
    { name: "opt", short: "o", kind: "list" },
  ]);
  if (p.args.length > 1) throw new UsageError('"volume create" requires at most 1 argument.');
  const flagName = str(p, "name");
  if (flagName !== undefined && p.args.length === 1) throw new UsageError("conflicting options: either specify --name or provide positional arg, not both");
  const name = flagName ?? p.args[0];
  const driver = str(p, "driver") ?? "local";
  if (driver !== "local") return fail(new Error(`create ${name ?? ""}: error looking up volume plugin ${driver}: plugin "${driver}" not found`));
  try {
    const v = createVolume({ name, labels: keyValues(list(p, "label")), options: keyValues(list(p, "opt")) });
    writeStdout(`${v.name}\n`);
    return 0;
  } catch (e) {
    return fail(e);
  }
}
