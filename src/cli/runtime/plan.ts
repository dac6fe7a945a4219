// plan: compile a bundle's config.json and print the plan, creating nothing.
import { parseFlags, str, bool } from "../flags.ts";
import type { RuntimeCtx } from "../runtime.ts";
import { loadBundle, planFor } from "../../runtime/ops/create.ts";
import { cgroupManager } from "../../runtime/cgroups/index.ts";
import { formatPlan, planToJSON } from "../../runtime/plan/format.ts";
import { writeStdout } from "../../sys/io.ts";

export default async function plan(ctx: RuntimeCtx): Promise<number> {
  const p = parseFlags(ctx.args, [
    { name: "bundle", short: "b", kind: "string" },
    { name: "console-socket", kind: "string" },
    { name: "no-pivot", kind: "bool" },
    { name: "json", kind: "bool" },
    { name: "foreground", kind: "bool" },
  ]);
  const bundle = str(p, "bundle") ?? p.args[0] ?? process.cwd();
  const id = p.args[1] ?? "plan";
  const { spec, bundle: dir, rootfs } = loadBundle(bundle);
  const cg = cgroupManager({ cgroupsPath: spec.linux?.cgroupsPath || undefined, id });
  const compiled = planFor(spec, dir, rootfs, cg, { id, consoleSocket: str(p, "console-socket"), noPivot: bool(p, "no-pivot"), foreground: bool(p, "foreground") }, bool(p, "foreground") ? undefined : `${ctx.store.dir(id)}/exec.fifo`);
  const writes = cg.plannedWrites(spec.linux?.resources ?? {});
  if (bool(p, "json")) {
    writeStdout(`${JSON.stringify({ cgroup: { version: cg.version, paths: cg.paths(), writes }, steps: planToJSON(compiled) }, null, 2)}\n`);
    return 0;
  }
  const cgText = [`cgroup v${cg.version}: ${cg.paths().join(" ")}`, ...writes.map((w) => `  write ${w.file} = ${w.value}`)].join("\n");
  writeStdout(`${cgText}\n${formatPlan(compiled)}`);
  return 0;
}
