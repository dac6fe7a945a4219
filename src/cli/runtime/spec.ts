// spec: write a default config.json into the bundle (refusing to overwrite one).
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseFlags, str, bool } from "../flags.ts";
import type { RuntimeCtx } from "../runtime.ts";
import { defaultSpec } from "../../runtime/default-spec.ts";

export default async function spec(ctx: RuntimeCtx): Promise<number> {
  const p = parseFlags(ctx.args, [
    { name: "bundle", short: "b", kind: "string" },
    { name: "rootless", kind: "bool" },
  ]);
  const path = join(str(p, "bundle") ?? process.cwd(), "config.json");
  if (existsSync(path)) throw new Error(`File ${path} exists. Remove it first`);
  writeFileSync(path, `${JSON.stringify(defaultSpec({ rootless: bool(p, "rootless") }), null, "\t")}\n`);
  return 0;
}
