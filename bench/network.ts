// Network set-up cost: setupContainerNetwork + teardownContainerNetwork on a fresh netns, on a
// user-defined network (resolver already running) with and without a published port. Compare with
// issue 5's podman figure (~285 ms of extra start time for a bridge network).
//   scripts/bun bench/network.ts [iterations]
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = mkdtempSync(join(tmpdir(), "berth-netbench-"));
process.env.BERTH_ROOT = root;
const net = await import("../src/network/index.ts");
const N = Number(process.argv[2] ?? 10);
const ns = `berthbench${process.pid}`;
const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return `median ${s[Math.floor(s.length / 2)]!.toFixed(1)} ms, min ${s[0]!.toFixed(1)}, max ${s.at(-1)!.toFixed(1)}`;
};
const n = await net.createNetwork({ name: `bench${process.pid}`, subnet: "10.214.0.0/24" });
try {
  // a resident container keeps the network's resolver running, as on a busy network
  spawnSync("ip", ["netns", "add", `${ns}r`]);
  await net.setupContainerNetwork({ id: "r".repeat(64), name: "resident", hostname: "resident", netnsPath: `/run/netns/${ns}r`, attachments: [{ network: n.name }] });
  for (const ports of [[], net.parsePortSpec("80")]) {
    const up: number[] = [];
    const down: number[] = [];
    for (let i = 0; i < N; i++) {
      spawnSync("ip", ["netns", "add", ns]);
      const id = `b${i}`.padEnd(64, "0");
      let t = performance.now();
      await net.setupContainerNetwork({ id, name: `c${i}`, hostname: `c${i}`, netnsPath: `/run/netns/${ns}`, attachments: [{ network: n.name }], ports });
      up.push(performance.now() - t);
      t = performance.now();
      await net.teardownContainerNetwork(id);
      down.push(performance.now() - t);
      spawnSync("ip", ["netns", "del", ns]);
    }
    console.log(`${ports.length ? "with -p 80" : "no ports  "}: setup ${stats(up)}; teardown ${stats(down)}`);
  }
} finally {
  await net.reconcileNetworks(new Set());
  await net.removeNetwork(n.name);
  spawnSync("ip", ["netns", "del", `${ns}r`]);
  rmSync(root, { recursive: true, force: true });
}
