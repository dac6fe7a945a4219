// Networking through the engine: bin/berth run/create/start/stop/rm with the default bridge,
// user-defined networks (names, aliases, --ip, --internal), --network none|host|container:ID,
// published ports, network connect/disconnect, inspect's NetworkSettings, restarts, and no leaks
// after rm or a kill -9 of berth in the middle of network set-up.
// Traffic goes only to 127.0.0.0/8 and to the namespaces of the containers made here: every
// container gets --dns 127.0.0.1, so a name berth's resolver does not know is forwarded to the
// host's loopback and nowhere else.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { BERTH, engineEnv, type EngineEnv } from "./fixtures/engine.ts";
import { busyboxLayer } from "./fixtures/images.ts";
import { hostLinks, iptablesSave, linkExists, scrubIptables } from "./fixtures/netns.ts";

let e: EngineEnv;
const tag = `en${process.pid % 100000}`;
const octet = process.pid % 250;
const NET = `${tag}-app`;
const INTERNAL = `${tag}-int`;
const OTHER = `${tag}-other`;
const DNS = ["--dns", "127.0.0.1"];
const hadDefaultBridge = linkExists("berth0");
const ids = new Set<string>();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function ok(args: string[]): string {
  const r = e.berth(args);
  assert.equal(r.code, 0, `berth ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}
/** `berth run -d`, remembering the ID for the leak checks in after(). */
function runD(args: string[]): string {
  const id = ok(["run", "-d", ...DNS, ...args]).trim();
  ids.add(id);
  return id;
}
/** Run to completion and return its exit code and output. Through -d, wait and logs rather than
 *  an attached `run --rm`, so that these tests depend on networking and not on attach. */
function runRm(args: string[], o: { dns?: boolean } = {}) {
  const c = e.berth(["run", "-d", ...(o.dns === false ? [] : DNS), ...args]);
  if (c.code !== 0) return c;
  const id = c.stdout.trim();
  const w = e.berth(["wait", id], { timeout: 20_000 });
  const logs = e.berth(["logs", id]);
  e.berth(["rm", "-f", id]);
  return { code: Number(w.stdout.trim()), stdout: logs.stdout, stderr: logs.stderr };
}
const inspect = (ref: string, f: string) => ok(["inspect", "-f", f, ref]).trim();
/** The container's endpoint on `network` from inspect (Docker's NetworkSettings.Networks.<name>). */
const endpoint = (ref: string, network: string) =>
  (JSON.parse(inspect(ref, "{{json .NetworkSettings.Networks}}")) as Record<string, { IPAddress: string; EndpointID: string }>)[network]!;
async function until(fn: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (fn()) return true;
    await sleep(25);
  }
  return fn();
}
/** Read what a TCP server on 127.0.0.1:port sends, from the host (node:net). */
function readTcp(port: number, send = ""): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = "";
    const s = connect({ host: "127.0.0.1", port });
    const t = setTimeout(() => (s.destroy(), reject(new Error(`no answer on 127.0.0.1:${port}, got ${JSON.stringify(got)}`))), 5000);
    s.on("connect", () => s.end(send));
    s.on("data", (d) => (got += d.toString()));
    s.on("close", () => (clearTimeout(t), resolve(got)));
    s.on("error", (err) => (clearTimeout(t), reject(err)));
  });
}
/** A server loop that answers every TCP connection on `port` with `text`. */
const serve = (port: number, text: string) => ["sh", "-c", `while true; do echo ${text} | nc -l -p ${port}; done`];
const netDir = () => join(e.root, "networks");
function leasesOf(network: string, id: string): string[] {
  const d = join(netDir(), network, "ipam", network);
  if (!existsSync(d)) return [];
  return readdirSync(d).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f) && readFileSync(join(d, f), "utf8").split("\n")[0]!.trim() === id);
}
function dnsEntry(network: string, id: string): boolean {
  const f = join(netDir(), network, "names.json");
  return existsSync(f) && id in (JSON.parse(readFileSync(f, "utf8")) as { endpoints: Record<string, unknown> }).endpoints;
}
/** Everything of container `id` (with address `ip`, host veth `veth`) the host may still hold. */
function leftovers(id: string, ip: string, veth: string, networks: string[]): string[] {
  const out: string[] = [];
  if (veth && hostLinks().includes(veth)) out.push(`veth ${veth}`);
  const rules = iptablesSave().split("\n").filter((l) => l.includes(id) || (ip && (l.includes(`${ip}/32`) || l.includes(`${ip}:`))));
  out.push(...rules.map((r) => `iptables: ${r}`));
  for (const n of networks) {
    out.push(...leasesOf(n, id).map((l) => `lease ${n}/${l}`));
    if (dnsEntry(n, id)) out.push(`DNS entry on ${n}`);
  }
  if (existsSync(join(netDir(), "endpoints", `${id}.json`))) out.push("endpoint record");
  if (existsSync(join(netDir(), "netns", id))) out.push("netns pin");
  return out;
}

before(() => {
  e = engineEnv();
  // an image that EXPOSEs ports, for -P
  const tar = join(e.root, "bb.tar");
  writeFileSync(tar, busyboxLayer());
  ok(["import", "-c", 'CMD ["sh"]', "-c", "EXPOSE 7100 7101/udp", tar, "bbexpose:latest"]);
  rmSync(tar);
  ok(["network", "create", "--subnet", `10.237.${octet}.0/24`, NET]);
  ok(["network", "create", "--internal", "--subnet", `10.238.${octet}.0/24`, INTERNAL]);
  ok(["network", "create", "--subnet", `10.239.${octet}.0/24`, OTHER]);
  for (const n of [NET, INTERNAL, OTHER]) bridges.push(ok(["network", "inspect", "-f", '{{index .Options "com.docker.network.bridge.name"}}', n]).trim());
});

const bridges: string[] = [];
after(() => {
  // containers, then our networks (bridge, resolver, state) while the root still exists
  const all = e.berth(["ps", "-aq", "--no-trunc"]).stdout.split("\n").filter(Boolean);
  if (all.length) e.berth(["rm", "-f", ...all]);
  e.berth(["network", "rm", NET, INTERNAL, OTHER]);
  e.cleanup();
  // belt and braces: nothing of ours may survive a failed test
  for (const b of bridges) if (linkExists(b)) spawnSync("ip", ["link", "del", b]);
  for (const id of ids) scrubIptables(id);
  for (const p of spawnSync("pgrep", ["-f", `__resolver ${tag}-`], { encoding: "utf8" }).stdout.split("\n").filter(Boolean)) {
    try {
      process.kill(Number(p), "SIGKILL");
    } catch {
      /* gone */
    }
  }
  if (!hadDefaultBridge && linkExists("berth0")) spawnSync("ip", ["link", "del", "berth0"]);
});

describe("engine networking", () => {
  it("containers on a user-defined network reach each other by name and alias, also one started later", async () => {
    runD(["--name", `${tag}-srv`, "--network", NET, "--network-alias", "web", "busybox", ...serve(7000, "hello")]);
    // started before `late` exists: keeps asking for it by name until it answers
    const early = runD(["--name", `${tag}-early`, "--network", NET, "busybox", "sh", "-c", `until nc -w 1 ${tag}-late 7001 </dev/null | grep -q late; do sleep 0.2; done; echo reached-late; sleep 1000`]);
    const byName = runRm(["--network", NET, "busybox", "nc", "-w", "3", `${tag}-srv`, "7000"]);
    assert.equal(byName.stdout, "hello\n", byName.stderr);
    const byAlias = runRm(["--network", NET, "busybox", "nc", "-w", "3", "web", "7000"]);
    assert.equal(byAlias.stdout, "hello\n", byAlias.stderr);
    runD(["--name", `${tag}-late`, "--network", NET, "busybox", ...serve(7001, "late")]);
    assert.ok(await until(() => e.berth(["logs", early]).stdout.includes("reached-late"), 8000), `early never reached late: ${e.berth(["logs", early]).stderr}`);
    // /etc/hosts has the container's own address, resolv.conf points at the network's resolver
    const ip = endpoint(`${tag}-srv`, NET).IPAddress;
    assert.match(ip, new RegExp(`^10\\.237\\.${octet}\\.\\d+$`));
    const files = runRm(["--network", NET, "--hostname", "probe", "--add-host", "db.example:10.1.2.3", "busybox", "cat", "/etc/hosts", "/etc/resolv.conf"]);
    assert.match(files.stdout, /^10\.1\.2\.3\tdb\.example$/m);
    assert.match(files.stdout, new RegExp(`^10\\.237\\.${octet}\\.\\d+\\tprobe$`, "m"));
    assert.match(files.stdout, new RegExp(`^nameserver 10\\.237\\.${octet}\\.1$`, "m"));
    ok(["rm", "-f", early, `${tag}-late`]);
  });

  it("--ip, inspect's NetworkSettings in Docker's shape, network connect/disconnect of a running container", () => {
    const ip = `10.237.${octet}.200`;
    const id = runD(["--name", `${tag}-fixed`, "--network", NET, "--ip", ip, "--network-alias", "fixed-alias", "busybox", "sleep", "1000"]);
    const doc = JSON.parse(ok(["inspect", id]))[0];
    const ep = doc.NetworkSettings.Networks[NET];
    assert.equal(ep.IPAddress, ip);
    assert.equal(ep.Gateway, `10.237.${octet}.1`);
    assert.equal(ep.IPPrefixLen, 24);
    assert.match(ep.MacAddress, /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
    assert.deepEqual(ep.Aliases, ["fixed-alias"]);
    assert.equal(ep.NetworkID, ok(["network", "inspect", "-f", "{{.Id}}", NET]).trim());
    assert.equal(doc.HostConfig.NetworkMode, NET);
    assert.ok(JSON.parse(ok(["network", "inspect", NET]))[0].Containers[id], "network inspect lists the container");
    ok(["network", "connect", "--alias", "second", OTHER, `${tag}-fixed`]);
    const nets = JSON.parse(inspect(id, "{{json .NetworkSettings.Networks}}"));
    assert.deepEqual(Object.keys(nets).sort(), [NET, OTHER].sort());
    assert.match(nets[OTHER].IPAddress, new RegExp(`^10\\.239\\.${octet}\\.\\d+$`));
    const pid = inspect(id, "{{.State.Pid}}");
    const links = () => spawnSync("nsenter", ["-t", pid, "-n", "ip", "-o", "link"], { encoding: "utf8" }).stdout;
    assert.match(links(), /eth1@/);
    ok(["network", "disconnect", OTHER, `${tag}-fixed`]);
    assert.doesNotMatch(links(), /eth1@/);
    assert.deepEqual(Object.keys(JSON.parse(inspect(id, "{{json .NetworkSettings.Networks}}"))), [NET]);
    const busy = e.berth(["network", "rm", NET]);
    assert.notEqual(busy.code, 0);
    assert.match(busy.stderr, /active endpoints/);
  });

  it("publishes ports on the default bridge: -p ip:host:ctr, -p ctr (a free port), -P; `port` lists them; they answer on 127.0.0.1", async () => {
    const hostPort = 20000 + (process.pid % 20000);
    const id = runD(["--name", `${tag}-pub`, "-p", `127.0.0.1:${hostPort}:8080`, "-p", "8081/tcp", "-P", "bbexpose", "sh", "-c", "(while true; do echo second | nc -l -p 8081; done) & (while true; do echo exposed | nc -l -p 7100; done) & while true; do echo pong | nc -l -p 8080; done"]);
    const lines = ok(["port", id]).trim().split("\n").sort();
    assert.equal(lines.length, 4, lines.join("\n"));
    assert.ok(lines.includes(`8080/tcp -> 127.0.0.1:${hostPort}`), lines.join("\n"));
    const free = Number(/^8081\/tcp -> 0\.0\.0\.0:(\d+)$/m.exec(lines.join("\n"))?.[1]);
    const exposed = Number(/^7100\/tcp -> 0\.0\.0\.0:(\d+)$/m.exec(lines.join("\n"))?.[1]);
    assert.ok(free > 0 && exposed > 0, lines.join("\n"));
    assert.match(lines.join("\n"), /^7101\/udp -> 0\.0\.0\.0:\d+$/m);
    assert.equal(ok(["port", id, "8080"]).trim(), `127.0.0.1:${hostPort}`);
    await sleep(200);
    assert.equal(await readTcp(hostPort), "pong\n");
    assert.equal(await readTcp(free), "second\n");
    assert.equal(await readTcp(exposed), "exposed\n");
    const ports = JSON.parse(inspect(id, "{{json .NetworkSettings.Ports}}"));
    assert.deepEqual(ports["8080/tcp"], [{ HostIp: "127.0.0.1", HostPort: String(hostPort) }]);
    assert.match(inspect(id, "{{.NetworkSettings.IPAddress}}"), /^\d+\.\d+\.\d+\.\d+$/);
    assert.match(ok(["ps", "--filter", `name=${tag}-pub`]), new RegExp(`127\\.0\\.0\\.1:${hostPort}->8080/tcp`));
    // a port taken by another container is refused, and that failed start leaves nothing
    const clash = e.berth(["run", "--rm", ...DNS, "-p", `127.0.0.1:${hostPort}:80`, "busybox", "true"]);
    assert.notEqual(clash.code, 0);
    assert.match(clash.stderr, /already allocated/);
  });

  it("after stop and rm, no veth, iptables rule, lease or DNS entry of the container remains", async () => {
    const hostPort = 40000 + (process.pid % 20000);
    const id = runD(["--name", `${tag}-gone`, "--network", NET, "-p", `127.0.0.1:${hostPort}:80`, "busybox", "sleep", "1000"]);
    const ip = endpoint(id, NET).IPAddress;
    const veth = endpoint(id, NET).EndpointID;
    assert.ok(hostLinks().includes(veth), `veth ${veth} exists while running`);
    assert.ok(iptablesSave().includes(id), "rules carry the container ID while running");
    assert.deepEqual(leasesOf(NET, id).length, 1);
    assert.ok(dnsEntry(NET, id));
    ok(["stop", "-t", "0", id]);
    assert.deepEqual(leftovers(id, ip, veth, [NET]), [], "after stop");
    // start again: networking comes back (same name, resolvable), then rm
    ok(["start", id]);
    const ip2 = endpoint(id, NET).IPAddress;
    assert.match(ip2, /^10\./);
    assert.equal(runRm(["--network", NET, "busybox", "sh", "-c", `ping -c 1 -W 2 ${tag}-gone >/dev/null && echo up`]).stdout, "up\n");
    const veth2 = endpoint(id, NET).EndpointID;
    ok(["rm", "-f", id]);
    assert.deepEqual(leftovers(id, ip2, veth2, [NET]), [], "after rm");
    assert.ok(!iptablesSave().includes(`--dport ${hostPort} `), "the published port's DNAT rule is gone");
  });

  it("attached run --rm leaves the network teardown to the monitor's exit command: nothing remains", async () => {
    const epDir = join(netDir(), "endpoints");
    const before = new Set(existsSync(epDir) ? readdirSync(epDir) : []);
    let id = "";
    let ip = "";
    let veth = "";
    const child = e.spawnBerth(["run", "--rm", ...DNS, "--network", NET, "-p", "127.0.0.1::80", "busybox", "sleep", "1"]);
    const exited = new Promise<number | null>((r) => child.once("exit", (c) => r(c)));
    const seen = await until(() => {
      for (const f of existsSync(epDir) ? readdirSync(epDir) : []) {
        // skip the atomic writes' temp files: renamed away between readdir and open
        if (before.has(f) || !f.endsWith(".json") || f.startsWith(".")) continue;
        let text: string;
        try {
          text = readFileSync(join(epDir, f), "utf8");
        } catch {
          continue; // removed since the listing
        }
        const s = JSON.parse(text) as {
          attachments: { done: number; plugins: unknown[]; result?: { interfaces: { name: string; sandbox?: string }[]; ips: { address: string }[] } }[];
        };
        const a = s.attachments[0];
        if (!a?.result || a.done !== a.plugins.length) continue;
        id = f.slice(0, -5);
        ip = a.result.ips[0]!.address.split("/")[0]!;
        veth = a.result.interfaces.find((i) => !i.sandbox && i.name.startsWith("veth"))?.name ?? "";
        return true;
      }
      return false;
    }, 10_000);
    assert.ok(seen && veth, "set-up finished");
    ids.add(id);
    assert.equal(await exited, 0);
    const clean = await until(() => leftovers(id, ip, veth, [NET]).length === 0, 10_000);
    assert.ok(clean, `left behind: ${leftovers(id, ip, veth, [NET]).join("; ")}`);
  });

  it("restart policy and `berth restart` bring networking back", async () => {
    const id = runD(["--name", `${tag}-again`, "--restart", "on-failure:1", "--network", NET, "busybox", "sh", "-c", `${serve(7002, "again")[2]} & sleep 0.5; [ -e /tmp/once ] || { touch /tmp/once; exit 1; }; wait`]);
    assert.ok(await until(() => inspect(id, "{{.RestartCount}} {{.State.Status}}") === "1 running", 8000), inspect(id, "{{.RestartCount}} {{.State.Status}}"));
    await sleep(300);
    assert.equal(runRm(["--network", NET, "busybox", "nc", "-w", "3", `${tag}-again`, "7002"]).stdout, "again\n");
    ok(["restart", "-t", "0", id]);
    await sleep(300);
    assert.equal(runRm(["--network", NET, "busybox", "nc", "-w", "3", `${tag}-again`, "7002"]).stdout, "again\n");
    ok(["rm", "-f", id]);
  });

  it("--network none has only lo (up); host shares the host's; container:ID shares the target's netns", () => {
    const none = runRm(["--network", "none", "busybox", "ip", "-o", "link"], { dns: false });
    assert.equal(none.code, 0, none.stderr);
    const links = none.stdout.trim().split("\n");
    assert.equal(links.length, 1, none.stdout);
    assert.match(links[0]!, /^1: lo: <LOOPBACK,UP,LOWER_UP>/);
    const host = runRm(["--network", "host", "busybox", "readlink", "/proc/self/ns/net"], { dns: false });
    assert.equal(host.stdout.trim(), spawnSync("readlink", ["/proc/self/ns/net"], { encoding: "utf8" }).stdout.trim());
    const target = runD(["--name", `${tag}-target`, "--network", NET, "busybox", ...serve(7003, "shared")]);
    const pid = inspect(target, "{{.State.Pid}}");
    const want = spawnSync("readlink", [`/proc/${pid}/ns/net`], { encoding: "utf8" }).stdout.trim();
    // the target runs, but its server may not listen yet: the client retries
    const joined = runRm(["--network", `container:${tag}-target`, "busybox", "sh", "-c", "readlink /proc/self/ns/net; for i in 1 2 3 4 5 6 7 8 9 10; do nc -w 2 127.0.0.1 7003 && break; sleep 0.2; done"], { dns: false });
    assert.equal(joined.code, 0, joined.stderr);
    assert.equal(joined.stdout, `${want}\nshared\n`);
    const bad = e.berth(["run", "--rm", "--network", "container:nosuchcontainer", "busybox", "true"]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /No such container/);
    ok(["rm", "-f", target]);
  });

  it("--internal: no route out, no reaching another network, neighbours still by name", () => {
    const other = runD(["--name", `${tag}-outside`, "--network", OTHER, "busybox", ...serve(7004, "outside")]);
    const otherIp = endpoint(other, OTHER).IPAddress;
    runD(["--name", `${tag}-inner`, "--network", INTERNAL, "busybox", ...serve(7005, "inner")]);
    const r = runRm(["--network", INTERNAL, "busybox", "sh", "-c", `ip route; echo ---; nc -w 2 ${otherIp} 7004 </dev/null; echo "rc=$?"; nc -w 2 ${tag}-inner 7005 </dev/null`]);
    const [routes, rest] = r.stdout.split("---\n");
    assert.doesNotMatch(routes!, /default/, routes);
    assert.match(routes!, new RegExp(`^10\\.238\\.${octet}\\.0/24 dev eth0`, "m"));
    assert.doesNotMatch(rest!, /outside/);
    assert.match(rest!, /rc=1/);
    assert.match(rest!, /inner/);
    // the same client from a normal network does reach it (the refusal above is the network's doing)
    assert.equal(runRm(["--network", OTHER, "busybox", "nc", "-w", "2", otherIp, "7004"]).stdout, "outside\n");
    ok(["rm", "-f", other, `${tag}-inner`]);
  });

  it("kill -9 of `berth run` during network set-up leaves nothing that breaks the next run", async () => {
    // a slow firewall plugin: berth is killed while it runs (bridge ADD done: veth, lease, rules exist)
    const slow = join(e.root, "slow-cni");
    mkdirSync(slow, { recursive: true });
    writeFileSync(join(slow, "firewall"), "#!/bin/sh\n[ \"$CNI_COMMAND\" = ADD ] && sleep 1\nexec /usr/lib/cni/firewall\n");
    chmodSync(join(slow, "firewall"), 0o755);
    const env = { ...e.env, BERTH_CNI_PATH: slow };
    const child = spawn(BERTH, ["run", "-d", ...DNS, "--name", `${tag}-victim`, "--network", NET, "-p", "127.0.0.1::80", "busybox", "sleep", "1000"], { env, stdio: "ignore" });
    const epDir = join(netDir(), "endpoints");
    let victim = "";
    const seen = await until(() => {
      for (const f of existsSync(epDir) ? readdirSync(epDir) : []) {
        // skip atomic writes in flight (".tmp-…json"), and records removed since readdir
        if (!f.endsWith(".json") || f.startsWith(".")) continue;
        let text: string;
        try {
          text = readFileSync(join(epDir, f), "utf8");
        } catch {
          continue;
        }
        const s = JSON.parse(text) as { name: string; attachments: { done: number }[] };
        if (s.name === `${tag}-victim` && s.attachments[0]?.done === 1) victim = f.slice(0, -5);
      }
      return victim !== "";
    }, 10_000);
    assert.ok(seen, "set-up got past the bridge plugin");
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    ids.add(victim);
    await sleep(1500); // the orphaned plugin finishes
    const s = JSON.parse(readFileSync(join(epDir, `${victim}.json`), "utf8")) as { attachments: { result: { interfaces: { name: string; sandbox?: string }[]; ips: { address: string }[] } }[] };
    const veth = s.attachments[0]!.result.interfaces.find((i) => !i.sandbox && i.name.startsWith("veth"))!.name;
    const ip = s.attachments[0]!.result.ips[0]!.address.split("/")[0]!;
    assert.ok(hostLinks().includes(veth), "the killed set-up left a veth (the case under test)");
    // the next run works and reconciles
    const next = runRm(["--network", NET, "busybox", "nc", "-w", "3", `${tag}-srv`, "7000"]);
    assert.equal(next.stdout, "hello\n", next.stderr);
    assert.deepEqual(leftovers(victim, ip, veth, [NET]), [], "after the next run");
    assert.match(inspect(`${tag}-victim`, "{{.State.Status}}"), /^(created|exited)$/);
    ok(["rm", "-f", `${tag}-victim`]);
    // and it starts fine under its name again
    const again = runD(["--name", `${tag}-victim`, "--network", NET, "busybox", "sleep", "1000"]);
    assert.match(endpoint(again, NET).IPAddress, /^10\./);
    ok(["rm", "-f", again]);
  });

  it("kill -9 of a container's monitor: the next ps cleans its network", async () => {
    const id = runD(["--name", `${tag}-orphan`, "--network", NET, "busybox", "sleep", "1000"]);
    const ip = endpoint(id, NET).IPAddress;
    const veth = endpoint(id, NET).EndpointID;
    const rec = JSON.parse(readFileSync(join(e.root, "containers", id, "config.json"), "utf8")) as { state: { monitorPid: number; pid: number } };
    process.kill(rec.state.monitorPid, "SIGKILL");
    process.kill(rec.state.pid, "SIGKILL");
    await sleep(200);
    ok(["ps", "-a"]);
    assert.deepEqual(leftovers(id, ip, veth, [NET]), []);
    ok(["rm", "-f", id]);
  });

  it("network rm removes the bridge and the resolver; the remaining state is clean", () => {
    ok(["rm", "-f", `${tag}-srv`, `${tag}-fixed`, `${tag}-pub`]);
    ok(["network", "rm", NET, INTERNAL, OTHER]);
    for (const b of bridges) assert.ok(!linkExists(b), `bridge ${b} removed`);
    assert.equal(spawnSync("pgrep", ["-f", `__resolver ${tag}-`]).status, 1, "no resolver left");
    assert.deepEqual(existsSync(join(netDir(), "endpoints")) ? readdirSync(join(netDir(), "endpoints")) : [], []);
    for (const id of ids) assert.ok(!iptablesSave().includes(id), `rules of ${id.slice(0, 12)} gone`);
  });
});
