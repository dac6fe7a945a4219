// A berth killed in the middle of a network set-up leaves its CNI plugin processes running
// (they are not its children once it is gone): they go on adding veths and iptables rules.
// Tearing down while they run races them (iptables: "CHAIN_DEL failed ... busy"), so the
// reconcile first waits for them to finish. They are found by the CNI_CONTAINERID every plugin
// process gets in its environment.
import { readdirSync, readFileSync } from "node:fs";

export function pluginsRunningFor(containerId: string): number[] {
  const needle = `CNI_CONTAINERID=${containerId}\0`;
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    let env: string;
    try {
      env = readFileSync(`/proc/${name}/environ`, "latin1");
    } catch {
      continue; // gone, or a kernel thread
    }
    if (env.startsWith(needle) || env.includes(`\0${needle}`)) out.push(Number(name));
  }
  return out;
}

/** Wait (bounded) until no CNI plugin works for this container any more. */
export async function waitForPlugins(containerId: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (pluginsRunningFor(containerId).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}
