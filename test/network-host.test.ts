// The network layer on the real kernel: namespaces from `ip netns add` stand in for containers.
// Only 127.0.0.0/8 and the test's own namespaces are ever contacted: every "container" gets
// --dns 127.0.0.1, so a name the resolver does not know is forwarded to the host's loopback only.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createNetns, iptablesSave, linkExists, scrubIptables, type TestNetns } from "./fixtures/netns.ts";
import { probe } from "../src/network/ports.ts";

const root = mkdtempSync(join(tmpdir(), "berth-net-"));
process.env.BERTH_ROOT = root;
const net = await import("../src/network/index.ts");
const { resolverPid } = await import("../src/network/dns/supervisor.ts");
const BUN = resolve(import.meta.dir, "../scripts/bun");
const BERTH = resolve(import.meta.dir, "../src/cli/berth.ts");
const tag = `bt${process.pid % 100000}`;
const spaces: TestNetns[] = [];
const ids: string[] = [];

function ns(short: string): TestNetns {
  const n = createNetns(`${tag}-${short}`);
  mkdirSync(`/etc/netns/${n.name}`, { recursive: true });
  spaces.push(n);
  return n;
}
function cid(short: string): string {
  const id = (Buffer.from(`${tag}${short}`).toString("hex") + "0".repeat(64)).slice(0, 64);
  ids.push(id);
  return id;
}
async function attach(n: TestNetns, id: string, name: string, o: Partial<Parameters<typeof net.setupContainerNetwork>[0]> = {}) {
  return net.setupContainerNetwork({
    id,
    name,
    hostname: name,
    netnsPath: n.path,
    attachments: [],
    dns: ["127.0.0.1"],
    hostsPath: `/etc/netns/${n.name}/hosts`,
    resolvConfPath: `/etc/netns/${n.name}/resolv.conf`,
    ...o,
  });
}
function berth(args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(BUN, [BERTH, ...args], { env: { ...process.env, BERTH_ROOT: root }, encoding: "utf8" });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}
/** Start `nc -l` in a namespace and collect what it receives. */
function listen(n: TestNetns, port: number): { got: () => string; ready: Promise<void> } {
  let got = "";
  const p = n.spawn(["nc", "-l", "-p", String(port)]);
  p.stdout!.on("data", (d: Buffer) => (got += d.toString()));
  return { got: () => got, ready: new Promise((r) => setTimeout(r, 150)) };
}
async function until(fn: () => boolean, ms = 2000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (fn()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return fn();
}
function leases(network: string): string[] {
  const d = join(root, "networks", network, "ipam", network);
  return existsSync(d) ? readdirSync(d).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f)) : [];
}
/** iptables lines that belong to a container (its ID, its address, its published host port). */
function rulesOf(id: string, ip: string, hostPort?: number): string[] {
  return iptablesSave()
    .split("\n")
    .filter((l) => l.includes(id) || l.includes(`${ip}/32`) || l.includes(`${ip}:`) || (hostPort !== undefined && l.includes(`--dport ${hostPort} `)));
}

describe("network layer on the host", () => {
  let front: Awaited<ReturnType<typeof net.createNetwork>>;
  before(async () => {
    front = await net.createNetwork({ name: `${tag}-front`, subnet: "10.213.7.0/24" });
  });
  after(async () => {
    await net.reconcileNetworks(new Set()).catch(() => undefined);
    for (const n of spaces) {
      n.remove();
      rmSync(`/etc/netns/${n.name}`, { recursive: true, force: true });
    }
    for (const n of await net.listNetworks()) if (n.name.startsWith(tag)) await net.removeNetwork(n.name).catch(() => undefined);
    // belt and braces: nothing of ours may survive a failed test
    for (const id of ids) scrubIptables(id);
    for (const d of existsSync(join(root, "networks")) ? readdirSync(join(root, "networks")) : []) {
      const pid = resolverPid(d);
      if (pid) process.kill(pid, "SIGKILL");
    }
    rmSync(root, { recursive: true, force: true });
  });

  it("two containers on a user-defined network reach each other by IP and by name, also one that starts later", async () => {
    const a = ns("a");
    const b = ns("b");
    const ida = cid("a");
    const idb = cid("b");
    const ra = await attach(a, ida, "alpha", { attachments: [{ network: front.name, aliases: ["web"] }] });
    const rb = await attach(b, idb, "beta", { attachments: [{ network: front.name }] });
    const ipA = ra.networks[front.name]!.ipAddress;
    const ipB = rb.networks[front.name]!.ipAddress;
    assert.match(ipA, /^10\.213\.7\.\d+$/);
    assert.notEqual(ipA, ipB);
    assert.equal(ra.resolvConf, "nameserver 10.213.7.1\noptions ndots:0\n");
    assert.equal(readFileSync(`/etc/netns/${b.name}/resolv.conf`, "utf8"), rb.resolvConf);
    assert.ok(rb.hostsEntries.includes(`${ipB}\tbeta`));
    assert.ok(resolverPid(front.name), "the network's resolver runs");

    // by IP
    let srv = listen(a, 7001);
    await srv.ready;
    assert.equal(b.exec(["nc", "-w", "2", ipA, "7001"], "by-ip\n").code, 0);
    assert.ok(await until(() => srv.got() === "by-ip\n"), `server got ${JSON.stringify(srv.got())}`);

    // by name and alias through berth's resolver
    const look = b.exec(["nslookup", "alpha", "10.213.7.1"]);
    assert.equal(look.code, 0, look.out + look.err);
    assert.match(look.out, new RegExp(`Name:\\s+alpha\\nAddress: ${ipA.replace(/\./g, "\\.")}`));
    assert.match(b.exec(["nslookup", "web", "10.213.7.1"]).out, new RegExp(`Address: ${ipA.replace(/\./g, "\\.")}`));
    srv = listen(a, 7002);
    await srv.ready;
    const viaName = b.exec(["nc", "-w", "2", "web", "7002"], "by-name\n");
    assert.equal(viaName.code, 0, viaName.err);
    assert.ok(await until(() => srv.got() === "by-name\n"), `server got ${JSON.stringify(srv.got())}`);

    // a container that joins later is resolvable by the earlier ones
    const c = ns("c");
    const rc = await attach(c, cid("c"), "gamma", { attachments: [{ network: front.name }] });
    assert.match(a.exec(["nslookup", "gamma", "10.213.7.1"]).out, new RegExp(`Address: ${rc.networks[front.name]!.ipAddress.replace(/\./g, "\\.")}`));
    await net.teardownContainerNetwork(ids.at(-1)!);
    // its name is gone from the names file (not queried: unknown names are forwarded)
    const names = JSON.parse(readFileSync(join(root, "networks", front.name, "names.json"), "utf8")) as { endpoints: Record<string, unknown> };
    assert.deepEqual(Object.keys(names.endpoints).sort(), [ida, idb].sort());
  });

  it("a published port answers on 127.0.0.1; -p CONTAINERPORT gets a free host port; conflicts are refused", async () => {
    const p = ns("p");
    const id = cid("p");
    const free = await probe("127.0.0.1", 0, "tcp");
    assert.equal(typeof free, "number");
    const r = await attach(p, id, "porty", { attachments: [{ network: front.name }], ports: [...net.parsePortSpec(`${free}:8080`), ...net.parsePortSpec("9090")] });
    assert.equal(r.ports[0]!.hostPort, free);
    assert.ok(r.ports[1]!.hostPort > 0 && r.ports[1]!.hostPort !== free, "a host port was chosen");
    for (const [hostPort, ctrPort] of [[r.ports[0]!.hostPort, 8080], [r.ports[1]!.hostPort, 9090]] as const) {
      const srv = listen(p, ctrPort);
      await srv.ready;
      const x = spawnSync("/bin/busybox", ["nc", "-w", "2", "127.0.0.1", String(hostPort)], { input: `to-${ctrPort}\n`, encoding: "utf8" });
      assert.equal(x.status, 0, x.stderr);
      assert.ok(await until(() => srv.got() === `to-${ctrPort}\n`), `port ${hostPort}->${ctrPort}: server got ${JSON.stringify(srv.got())}`);
    }
    const q = ns("q");
    await assert.rejects(attach(q, cid("q"), "clash", { attachments: [{ network: front.name }], ports: net.parsePortSpec(`${free}:80`) }), /Bind for 0\.0\.0\.0:\d+\/tcp failed: port is already allocated \(by container porty\)/);
    assert.equal(existsSync(join(root, "networks", "endpoints", `${ids.at(-1)}.json`)), false, "a refused set-up leaves no state");
  });

  it("teardown removes the veth, iptables rules, lease and DNS entry; teardown twice is fine", async () => {
    const t = ns("t");
    const id = cid("t");
    const free = (await probe("127.0.0.1", 0, "tcp")) as number;
    const r = await attach(t, id, "tear", { attachments: [{ network: front.name, aliases: ["tt"] }], ports: net.parsePortSpec(`${free}:80/tcp`) });
    const ep = r.networks[front.name]!;
    assert.ok(linkExists(ep.hostVeth), `veth ${ep.hostVeth} exists`);
    assert.ok(rulesOf(id, ep.ipAddress, free).length >= 4, "masquerade, firewall and portmap rules exist");
    assert.ok(leases(front.name).includes(ep.ipAddress));
    await net.teardownContainerNetwork(id);
    assert.equal(linkExists(ep.hostVeth), false, "veth removed");
    assert.deepEqual(rulesOf(id, ep.ipAddress, free), [], "no iptables rule left");
    assert.equal(leases(front.name).includes(ep.ipAddress), false, "lease released");
    const names = JSON.parse(readFileSync(join(root, "networks", front.name, "names.json"), "utf8")) as { endpoints: Record<string, unknown> };
    assert.equal(names.endpoints[id], undefined, "DNS entry removed");
    assert.equal(existsSync(join(root, "networks", "netns", id)), false, "netns pin removed");
    await net.teardownContainerNetwork(id);
    // the netns itself is untouched but has no eth0 any more
    assert.doesNotMatch(t.exec(["ip", "link"]).out, /eth0/);
  });

  it("--internal: no default route, names still resolve, no masquerade", async () => {
    const inner = await net.createNetwork({ name: `${tag}-inner`, subnet: "10.213.8.0/24", internal: true });
    const i = ns("i");
    const j = ns("j");
    const idi = cid("i");
    const ri = await attach(i, idi, "inside", { attachments: [{ network: inner.name }] });
    await attach(j, cid("j"), "inside2", { attachments: [{ network: inner.name }] });
    const routes = i.exec(["ip", "route"]).out;
    assert.match(routes, /10\.213\.8\.0\/24 dev eth0/);
    assert.doesNotMatch(routes, /default/);
    assert.match(j.exec(["nslookup", "inside", "10.213.8.1"]).out, new RegExp(`Address: ${ri.networks[inner.name]!.ipAddress.replace(/\./g, "\\.")}`));
    assert.equal(iptablesSave().split("\n").filter((l) => l.includes(idi) && l.includes("MASQUERADE")).length, 0);
    await assert.rejects(attach(ns("k"), cid("k"), "pub", { attachments: [{ network: inner.name }], ports: net.parsePortSpec("80") }), /without a non-internal bridge network/);
  });

  it("state left by a crash (no DEL) is cleaned by reconcileNetworks, also a set-up killed midway", async () => {
    const x = ns("x");
    const idx = cid("x");
    const free = (await probe("127.0.0.1", 0, "tcp")) as number;
    const r = await attach(x, idx, "crashy", { attachments: [{ network: front.name }], ports: net.parsePortSpec(`${free}:80`) });
    const ep = r.networks[front.name]!;
    // the "container" dies: its namespace goes away without any teardown
    x.remove();
    // set-up in another process, SIGKILLed part-way through
    const y = ns("y");
    const idy = cid("y");
    const script = `process.env.BERTH_ROOT=${JSON.stringify(root)};const n=await import(${JSON.stringify(resolve(import.meta.dir, "../src/network/index.ts"))});` +
      `await n.setupContainerNetwork({id:${JSON.stringify(idy)},name:"killed",hostname:"killed",netnsPath:${JSON.stringify(y.path)},attachments:[{network:${JSON.stringify(front.name)}}],ports:n.parsePortSpec("80"),dns:["127.0.0.1"]});`;
    const child = spawn(BUN, ["-e", script], { stdio: "ignore" });
    await until(() => existsSync(join(root, "networks", "endpoints", `${idy}.json`)), 5000);
    await new Promise((res) => setTimeout(res, 30));
    // the set-up may already have finished (it got faster): then there is no exit event to wait for
    const exited = new Promise((res) => (child.exitCode !== null || child.signalCode !== null ? res(undefined) : child.once("exit", res)));
    child.kill("SIGKILL");
    await exited;

    const live = new Set(ids.filter((i) => i !== idx && i !== idy));
    assert.deepEqual(await net.reconcileNetworks(live), []);
    assert.equal(linkExists(ep.hostVeth), false, "crashed container's veth removed");
    assert.deepEqual(rulesOf(idx, ep.ipAddress, free), [], "crashed container's iptables rules removed");
    assert.deepEqual(rulesOf(idy, "0.0.0.0"), [], "killed set-up's rules removed");
    const owners = leases(front.name).map((l) => readFileSync(join(root, "networks", front.name, "ipam", front.name, l), "utf8").split(/\r?\n/)[0]);
    assert.ok(!owners.includes(idx) && !owners.includes(idy), "leases released");
    assert.equal(existsSync(join(root, "networks", "endpoints", `${idx}.json`)), false);
    assert.equal(existsSync(join(root, "networks", "endpoints", `${idy}.json`)), false);
    // and the namespace of the killed set-up can be set up again
    const again = await attach(y, idy, "killed", { attachments: [{ network: front.name }] });
    assert.match(again.networks[front.name]!.ipAddress, /^10\.213\.7\./);
  });

  it("connect/disconnect, network inspect/ls/rm through the CLI; rm refuses a network in use", async () => {
    const side = `${tag}-side`;
    const c = berth(["network", "create", "--subnet", "10.213.9.0/24", "--label", "t=1", side]);
    assert.equal(c.code, 0, c.err);
    assert.match(c.out, /^[0-9a-f]{64}\n$/);
    const z = ns("z");
    const idz = cid("z");
    await attach(z, idz, "zed", { attachments: [{ network: front.name }] });
    assert.equal(berth(["network", "connect", "--alias", "zz", side, "zed"]).code, 0);
    assert.match(z.exec(["ip", "addr"]).out, /inet 10\.213\.9\.\d+\/24/);
    const inspect = JSON.parse(berth(["network", "inspect", side]).out) as { Name: string; Labels: Record<string, string>; IPAM: { Config: { Subnet: string; Gateway: string }[] }; Containers: Record<string, { Name: string; IPv4Address: string }> }[];
    assert.equal(inspect[0]!.Name, side);
    assert.deepEqual(inspect[0]!.Labels, { t: "1" });
    assert.deepEqual(inspect[0]!.IPAM.Config, [{ Subnet: "10.213.9.0/24", Gateway: "10.213.9.1" }]);
    assert.equal(inspect[0]!.Containers[idz]!.Name, "zed");
    assert.match(z.exec(["nslookup", "zz", "10.213.9.1"]).out, /Address: 10\.213\.9\./);
    const busy = berth(["network", "rm", side]);
    assert.notEqual(busy.code, 0);
    assert.match(busy.err, /has active endpoints/);
    assert.equal(berth(["network", "disconnect", side, "zed"]).code, 0);
    assert.doesNotMatch(z.exec(["ip", "addr"]).out, /10\.213\.9\./);
    assert.match(berth(["network", "ls"]).out, new RegExp(`^NETWORK ID\\s+NAME\\s+DRIVER\\s+SCOPE\\n[\\s\\S]*\\s${side}\\s+bridge\\s+local`));
    const bridgeDev = `br-${c.out.trim().slice(0, 12)}`;
    assert.ok(linkExists(bridgeDev));
    assert.equal(berth(["network", "rm", side]).code, 0);
    assert.equal(linkExists(bridgeDev), false, "bridge deleted with the network");
    assert.doesNotMatch(iptablesSave(), new RegExp(bridgeDev), "no iptables rule names the removed bridge");
    assert.equal(resolverPid(side), undefined);
    assert.notEqual(berth(["network", "inspect", side]).code, 0);
  });
});
