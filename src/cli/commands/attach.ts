// berth attach CONTAINER: stdio of a running container through its monitor's socket.
import { bool, parseFlags } from "../flags.ts";
import { attach } from "../../engine/attach.ts";
import { current, readExitFile } from "../../engine/runtime.ts";
import { parseSignal } from "../../engine/ops/stop.ts";
import { killContainer } from "../../runtime/ops/kill.ts";
import { runtimeStore } from "../../engine/runtime.ts";
import { daemonError, out, resolveId } from "./container-util.ts";

export default async function attachCmd(args: string[]): Promise<number> {
  try {
    const p = parseFlags(args, [
      { name: "no-stdin", kind: "bool" },
      { name: "sig-proxy", kind: "bool" },
      { name: "detach-keys", kind: "string" },
    ]);
    if (p.args.length !== 1) throw new Error("\"berth attach\" requires exactly 1 argument.");
    const id = resolveId(p.args[0]!);
    const cur = await current(id);
    if (!cur || cur.obs.status !== "running") throw new Error("You cannot attach to a stopped container, start it first");
    const s = await attach(id, (k, d) => out(k, d));
    const tty = cur.rec.options.tty && process.stdin.isTTY;
    if (tty) {
      process.stdin.setRawMode(true);
      const resize = () => s.resize(process.stdout.rows ?? 24, process.stdout.columns ?? 80);
      resize();
      process.on("SIGWINCH", resize);
    }
    if (cur.rec.options.interactive && !bool(p, "no-stdin")) {
      process.stdin.on("data", (d: Buffer) => s.stdin(d));
      process.stdin.on("end", () => s.closeStdin());
    }
    if (p.flags.get("sig-proxy") !== false && !tty)
      for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const)
        process.on(sig, () => {
          try {
            killContainer(runtimeStore(), id, parseSignal(sig));
          } catch {
            /* exited */
          }
        });
    const code = await s.exit;
    if (tty) process.stdin.setRawMode(false);
    process.stdin.pause();
    return code ?? readExitFile(id)?.code ?? 0;
  } catch (e) {
    return daemonError(e);
  }
}
