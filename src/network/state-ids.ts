// Which containers the network layer holds state for, without loading the layer (a cheap test,
// run by frequent commands such as `ps`, of whether reconcileNetworks has anything to do).
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { berthRoot } from "../sys/paths.ts";

/** Whether the network layer holds anything for container `id` (two stats, no lock). */
export function hasNetworkState(id: string): boolean {
  const d = join(berthRoot(), "networks");
  return existsSync(join(d, "endpoints", `${id}.json`)) || existsSync(join(d, "netns", id));
}

/**
 * IDs of the containers the network layer holds something for (an endpoint record or a pinned
 * netns), read without the lock: a cheap test of whether reconcileNetworks has anything to do.
 * Everything set-up leaves behind (veths, rules, leases, DNS entries) is covered by one of these:
 * the record is written before anything else and removed only after a complete teardown.
 */
export function networkStateIds(): string[] {
  const ids = new Set<string>();
  for (const d of [join(berthRoot(), "networks", "endpoints"), join(berthRoot(), "networks", "netns")]) {
    let names: string[] = [];
    try {
      names = readdirSync(d);
    } catch {
      continue;
    }
    for (const f of names) if (!f.startsWith(".tmp-")) ids.add(f.replace(/\.json$/, ""));
  }
  return [...ids];
}

