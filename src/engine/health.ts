// One health check: the test command run inside the container (the runtime's exec), its
// result recorded with Docker's semantics: `retries` consecutive failures make it unhealthy,
// failures during the start period do not count, a success makes it healthy.
import { readFileSync } from "node:fs";
import { execInContainer } from "../runtime/ops/exec.ts";
import type { Spec } from "../runtime/spec.ts";
import { emitEvent } from "./events.ts";
import { observe, runtimeStore } from "./runtime.ts";
import { loadRecord, saveRecord, withContainerLock } from "./store.ts";

export async function runHealthCheck(id: string): Promise<number> {
  const rec = loadRecord(id);
  const hc = rec.config.healthcheck;
  if (!hc || observe(rec).status !== "running") return 0;
  const spec = JSON.parse(readFileSync(rec.specPath, "utf8")) as Spec;
  const args = hc.test[0] === "CMD-SHELL" ? ["/bin/sh", "-c", hc.test.slice(1).join(" ")] : hc.test[0] === "CMD" ? hc.test.slice(1) : hc.test;
  const start = new Date().toISOString();
  let code: number;
  let output = "";
  try {
    const ex = await execInContainer(runtimeStore(), id, {
      process: { ...spec.process!, terminal: false, args },
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<number>((r) => (timer = setTimeout(() => r(-1), hc.timeoutMs)));
    code = await Promise.race([ex.exit, timeout]);
    clearTimeout(timer);
    if (code === -1) {
      output = `Health check exceeded timeout (${hc.timeoutMs / 1000}s)`;
      try {
        process.kill(ex.pid, "SIGKILL");
      } catch {
        /* gone */
      }
      ex.helper.child.kill("SIGKILL");
    }
  } catch (e) {
    code = -1;
    output = (e as Error).message;
  }
  const end = new Date().toISOString();
  await withContainerLock(id, () => {
    const r = loadRecord(id);
    if (observe(r).status !== "running") return;
    const h = (r.state.health ??= { status: "starting", failingStreak: 0, log: [] });
    const before = h.status;
    h.log = [...h.log, { start, end, exitCode: code, output }].slice(-5);
    if (code === 0) {
      h.status = "healthy";
      h.failingStreak = 0;
    } else if (Date.now() - Date.parse(r.state.startedAt) >= hc.startPeriodMs || h.status !== "starting") {
      h.failingStreak++;
      if (h.failingStreak >= hc.retries) h.status = "unhealthy";
    }
    saveRecord(r);
    if (h.status !== before) emitEvent({ type: "container", action: `health_status: ${h.status}`, id, attributes: { name: r.name, image: r.imageName } });
  });
  return 0;
}
