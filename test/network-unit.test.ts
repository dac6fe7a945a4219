// Network layer units: DNS codec, the resolver (against a fake upstream on 127.0.0.1), -p and
// --network/--add-host parsing, subnet allocation and /proc/net/route parsing, CNI plugin lists.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decode, encode, reply, ptrToIPv4, RCODE, TYPE, DnsFormatError } from "../src/network/dns/codec.ts";
import { startResolver, nameservers, type Resolver } from "../src/network/dns/server.ts";
import { writeNames } from "../src/network/dns/names.ts";
import { parsePortSpec, parseNetworkValue, networkModeFromFlags, parseAddHost, parseDnsServers, NetworkSpecError } from "../src/network/specs.ts";
import { allocateSubnet, hostRoutes, subnetPool } from "../src/network/subnets.ts";
import { formatCidr, parseCidr, parseIPv4, overlaps, isHostAddress } from "../src/network/ipv4.ts";
import { networkConflist, pluginInvocations } from "../src/network/cni/config.ts";
import { parseResolvConf, renderResolvConf } from "../src/network/files.ts";
import type { NetworkRecord } from "../src/network/types.ts";

function query(name: string, type: number, id = 0x1234): Uint8Array {
  return encode({ id, recursionDesired: true, questions: [{ name, type, class: 1 }] });
}

function ask(port: number, q: Uint8Array, timeoutMs = 3000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = createSocket("udp4");
    const t = setTimeout(() => {
      s.close();
      reject(new Error("no DNS reply"));
    }, timeoutMs);
    s.on("message", (m) => {
      clearTimeout(t);
      s.close();
      resolve(m);
    });
    s.send(q, port, "127.0.0.1");
  });
}

describe("DNS codec", () => {
  it("round-trips a query and an A/PTR reply, compressing repeated names", () => {
    const q = decode(query("Web.Example", TYPE.A, 77));
    assert.equal(q.id, 77);
    assert.equal(q.response, false);
    assert.equal(q.recursionDesired, true);
    assert.deepEqual(q.questions, [{ name: "Web.Example", type: TYPE.A, class: 1 }]);
    const r = reply(q, RCODE.NOERROR, [
      { name: "Web.Example", type: TYPE.A, ttl: 600, data: "10.1.2.3" },
      { name: "Web.Example", type: TYPE.A, ttl: 600, data: "10.1.2.4" },
      { name: "4.2.1.10.in-addr.arpa", type: TYPE.PTR, ttl: 5, data: "web.example" },
    ]);
    // the second answer's owner name is a 2-byte pointer to the question
    assert.ok(r.length < 12 + 17 + 2 * (2 + 10 + 4) + 60);
    const d = decode(r);
    assert.equal(d.response, true);
    assert.equal(d.authoritative, true);
    assert.equal(d.rcode, RCODE.NOERROR);
    assert.deepEqual(d.answers.map((a) => [a.name, a.type, a.ttl, a.data]), [
      ["Web.Example", TYPE.A, 600, "10.1.2.3"],
      ["Web.Example", TYPE.A, 600, "10.1.2.4"],
      ["4.2.1.10.in-addr.arpa", TYPE.PTR, 5, "web.example"],
    ]);
  });

  it("decodes AAAA and rejects malformed messages (short, pointer loops, overruns)", () => {
    const aaaa = encode({ id: 1, response: true, questions: [], answers: [{ name: "x", type: TYPE.AAAA, ttl: 1, rdata: new Uint8Array([0xfd, 0, ...new Array(13).fill(0), 1]) }] });
    assert.equal(decode(aaaa).answers[0]!.data, "fd00:0:0:0:0:0:0:1");
    assert.throws(() => decode(new Uint8Array(5)), DnsFormatError);
    const loop = new Uint8Array([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]);
    assert.throws(() => decode(loop), /loop/);
    const over = new Uint8Array([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 9, 97, 98]);
    assert.throws(() => decode(over), /past the end/);
    assert.throws(() => encode({ id: 1, questions: [{ name: "a".repeat(64), type: 1, class: 1 }] }), /longer than 63/);
    assert.equal(ptrToIPv4("4.3.2.1.in-addr.arpa"), "1.2.3.4");
    assert.equal(ptrToIPv4("example.com"), undefined);
  });
});

describe("resolver", () => {
  const dir = mkdtempSync(join(tmpdir(), "berth-dns-"));
  const names = join(dir, "names.json");
  let upstream: ReturnType<typeof createSocket>;
  let upstreamPort = 0;
  const upstreamSaw: string[] = [];
  let r: Resolver;
  before(async () => {
    // a fake upstream on 127.0.0.1 that answers everything NXDOMAIN
    upstream = createSocket("udp4");
    upstream.on("message", (m, ri) => {
      const q = decode(m);
      upstreamSaw.push(q.questions[0]!.name);
      upstream.send(reply(q, RCODE.NXDOMAIN, [], false), ri.port, ri.address);
    });
    await new Promise<void>((res) => upstream.bind(0, "127.0.0.1", () => res()));
    upstreamPort = upstream.address().port;
    writeNames(names, { network: "t", internal: false, endpoints: { c1: { ip: "10.9.0.2", names: ["web", "alpha"], dns: [] }, c2: { ip: "10.9.0.3", names: ["web", "beta"], dns: [] } } });
    r = await startResolver({ network: "t", address: "127.0.0.1", port: 0, namesPath: names, upstreams: [`127.0.0.1:${upstreamPort}`], upstreamTimeoutMs: 500 });
  });
  after(async () => {
    await r?.close();
    upstream?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers berth names (case-insensitively, all addresses of a shared alias), AAAA empty, PTR", async () => {
    const a = decode(await ask(r.port, query("ALPHA", TYPE.A)));
    assert.equal(a.rcode, RCODE.NOERROR);
    assert.deepEqual(a.answers.map((x) => x.data), ["10.9.0.2"]);
    const web = decode(await ask(r.port, query("web.", TYPE.A)));
    assert.deepEqual(web.answers.map((x) => x.data).sort(), ["10.9.0.2", "10.9.0.3"]);
    const v6 = decode(await ask(r.port, query("beta", TYPE.AAAA)));
    assert.equal(v6.rcode, RCODE.NOERROR);
    assert.equal(v6.answers.length, 0);
    const ptr = decode(await ask(r.port, query("3.0.9.10.in-addr.arpa", TYPE.PTR)));
    assert.deepEqual(ptr.answers.map((x) => x.data), ["web"]);
    assert.equal(upstreamSaw.length, 0, "berth names must not be forwarded");
  });

  it("sees names added and removed later (atomic rewrite), forwards others and relays NXDOMAIN", async () => {
    writeNames(names, { network: "t", internal: false, endpoints: { c3: { ip: "10.9.0.9", names: ["gamma"], dns: [] } } });
    assert.deepEqual(decode(await ask(r.port, query("gamma", TYPE.A))).answers.map((x) => x.data), ["10.9.0.9"]);
    const gone = decode(await ask(r.port, query("alpha", TYPE.A, 4321)));
    assert.equal(gone.id, 4321);
    assert.equal(gone.rcode, RCODE.NXDOMAIN);
    assert.deepEqual(upstreamSaw, ["alpha"]);
  });

  it("on an internal network, never forwards (SERVFAIL)", async () => {
    writeNames(names, { network: "t", internal: true, endpoints: {} });
    const n = upstreamSaw.length;
    const x = decode(await ask(r.port, query("delta", TYPE.A)));
    assert.equal(x.rcode, RCODE.SERVFAIL);
    assert.equal(upstreamSaw.length, n);
  });

  it("reads nameservers from resolv.conf text", () => {
    assert.deepEqual(nameservers("# c\nnameserver 10.0.0.1\nnameserver ::1\n nameserver 127.0.0.53\nsearch x\n"), ["10.0.0.1", "127.0.0.53"]);
    const rc = parseResolvConf("search a b\nnameserver 1.2.3.4\noptions ndots:2 edns0\n");
    assert.deepEqual(rc, { nameservers: ["1.2.3.4"], search: ["a", "b"], options: ["ndots:2", "edns0"] });
    assert.equal(renderResolvConf(rc), "search a b\nnameserver 1.2.3.4\noptions ndots:2 edns0\n");
  });
});

describe("port and network flag parsing", () => {
  it("parses -p forms", () => {
    assert.deepEqual(parsePortSpec("80"), [{ hostIP: "", hostPort: 0, containerPort: 80, protocol: "tcp" }]);
    assert.deepEqual(parsePortSpec("8080:80/udp"), [{ hostIP: "", hostPort: 8080, containerPort: 80, protocol: "udp" }]);
    assert.deepEqual(parsePortSpec("127.0.0.1:8080:80"), [{ hostIP: "127.0.0.1", hostPort: 8080, containerPort: 80, protocol: "tcp" }]);
    assert.deepEqual(parsePortSpec("127.0.0.1::53/UDP"), [{ hostIP: "127.0.0.1", hostPort: 0, containerPort: 53, protocol: "udp" }]);
    assert.deepEqual(parsePortSpec("0.0.0.0:9000-9001:90-91").map((m) => [m.hostIP, m.hostPort, m.containerPort]), [["", 9000, 90], ["", 9001, 91]]);
  });

  it("rejects bad -p values with the value in the message", () => {
    assert.throws(() => parsePortSpec("70000"), /invalid container port "70000" in port spec "70000"/);
    assert.throws(() => parsePortSpec("80/sctp"), /invalid protocol "sctp"/);
    assert.throws(() => parsePortSpec("1.2.3:80:80"), /invalid host IP "1.2.3"/);
    assert.throws(() => parsePortSpec("8080-8082:80-81"), /ranges differ/);
    assert.throws(() => parsePortSpec("a:b:c:d"), NetworkSpecError);
    assert.throws(() => parsePortSpec("8080:"), /no container port/);
    assert.throws(() => parsePortSpec("[::1]:80:80"), /IPv6/);
  });

  it("parses --network, --ip, --network-alias, --dns, --add-host", () => {
    assert.deepEqual(parseNetworkValue("none"), { kind: "none" });
    assert.deepEqual(parseNetworkValue("host"), { kind: "host" });
    assert.deepEqual(parseNetworkValue("container:abc"), { kind: "container", container: "abc" });
    assert.deepEqual(parseNetworkValue("name=front,alias=w,ip=10.1.0.5"), { kind: "networks", attachments: [{ network: "front", aliases: ["w"], ip: "10.1.0.5" }] });
    assert.throws(() => parseNetworkValue("bad name"), /invalid network name "bad name"/);
    assert.deepEqual(networkModeFromFlags({ network: ["a", "b"], ip: "10.0.0.5", aliases: ["db"] }), {
      kind: "networks",
      attachments: [{ network: "a", ip: "10.0.0.5", aliases: ["db"] }, { network: "b" }],
    });
    assert.deepEqual(networkModeFromFlags({}), { kind: "networks", attachments: [{ network: "bridge" }] });
    assert.throws(() => networkModeFromFlags({ network: ["host", "a"] }), /cannot be combined/);
    assert.throws(() => networkModeFromFlags({ network: ["none"], ip: "1.2.3.4" }), /need a bridge network/);
    assert.throws(() => networkModeFromFlags({ ip: "1.2.3" }), /invalid IPv4 address "1.2.3" for --ip/);
    assert.throws(() => networkModeFromFlags({ aliases: ["-bad"] }), /invalid network alias "-bad"/);
    assert.deepEqual(parseAddHost("db:10.0.0.7"), { host: "db", ip: "10.0.0.7" });
    assert.deepEqual(parseAddHost("gw=host-gateway"), { host: "gw", ip: "host-gateway" });
    assert.throws(() => parseAddHost("nohost"), /invalid --add-host "nohost"/);
    assert.throws(() => parseAddHost("x:notanip"), /not an IP address/);
    assert.throws(() => parseDnsServers(["8.8.8"]), /invalid --dns "8.8.8"/);
  });
});

describe("subnets", () => {
  it("parses and compares CIDRs", () => {
    assert.equal(parseIPv4("172.17.0.1"), 0xac110001);
    assert.equal(parseIPv4("256.1.1.1"), undefined);
    assert.equal(parseCidr("10.0.0.1/24"), undefined, "host bits set is rejected when strict");
    assert.equal(formatCidr(parseCidr("10.0.0.1/24", false)!), "10.0.0.0/24");
    assert.ok(overlaps(parseCidr("10.0.0.0/8")!, parseCidr("10.5.0.0/16")!));
    assert.ok(!overlaps(parseCidr("10.0.0.0/24")!, parseCidr("10.0.1.0/24")!));
    assert.ok(!isHostAddress(parseCidr("10.0.0.0/24")!, parseIPv4("10.0.0.255")!));
    assert.ok(isHostAddress(parseCidr("10.0.0.0/24")!, parseIPv4("10.0.0.7")!));
  });

  it("allocates from 172.18/16 upwards, skipping used blocks and foreign host routes, then 192.168.x/20", () => {
    assert.equal(formatCidr(allocateSubnet([], [], new Set())), "172.18.0.0/16");
    const used = [parseCidr("172.18.0.0/16")!, parseCidr("172.19.5.0/24")!];
    const routes = [{ dev: "eth0", cidr: parseCidr("172.20.0.0/14")! }, { dev: "br-own", cidr: parseCidr("172.24.0.0/16")! }];
    // 172.18 used, 172.19 overlaps a /24 in use, 172.20-23 routed via eth0; 172.24 is routed through our own bridge only
    assert.equal(formatCidr(allocateSubnet(used, routes, new Set(["br-own"]))), "172.24.0.0/16");
    const all = [...subnetPool()].slice(0, 14);
    assert.equal(formatCidr(allocateSubnet(all, [], new Set())), "192.168.0.0/20");
    assert.throws(() => allocateSubnet([parseCidr("0.0.0.0/0")!], [], new Set()), /non-overlapping/);
  });

  it("reads /proc/net/route format", () => {
    const text =
      "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n" +
      "eth0\t00000000\t0100A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n" +
      "eth0\t0000A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n";
    assert.deepEqual(hostRoutes(text).map((r) => [r.dev, formatCidr(r.cidr)]), [["eth0", "192.168.0.0/24"]]);
  });
});

describe("CNI configuration", () => {
  const n: NetworkRecord = { id: "x".repeat(64), name: "front", driver: "bridge", created: "", subnet: "10.3.0.0/24", gateway: "10.3.0.1", bridge: "br-front", internal: false, labels: {}, options: {}, isDefault: false };
  it("builds bridge→tuning→firewall→portmap; internal has no default route and no masquerade", () => {
    const l = networkConflist(n);
    assert.deepEqual(l.plugins.map((p) => p.type), ["bridge", "tuning", "firewall", "portmap"]);
    const ipam = l.plugins[0]!.ipam as Record<string, unknown>;
    assert.deepEqual(ipam.routes, [{ dst: "0.0.0.0/0" }]);
    assert.equal(l.plugins[0]!.ipMasq, true);
    const i = networkConflist({ ...n, internal: true });
    assert.deepEqual((i.plugins[0]!.ipam as Record<string, unknown>).routes, []);
    assert.equal(i.plugins[0]!.ipMasq, false);
  });
  it("fills runtimeConfig only for requested capabilities and skips idle plugins", () => {
    const l = networkConflist(n);
    const bare = pluginInvocations(l, { ports: [] }, 24);
    assert.deepEqual(bare.map((p) => p.type), ["bridge", "firewall"]);
    assert.equal(bare[0]!.runtimeConfig, undefined);
    assert.equal(bare[0]!.name, "front");
    const full = pluginInvocations(l, { ip: "10.3.0.9", mac: "02:42:0a:03:00:09", ports: [{ hostIP: "127.0.0.1", hostPort: 8080, containerPort: 80, protocol: "tcp" }] }, 24);
    assert.deepEqual(full.map((p) => p.type), ["bridge", "tuning", "firewall", "portmap"]);
    assert.deepEqual(full[0]!.runtimeConfig, { ips: ["10.3.0.9/24"] });
    assert.deepEqual(full[1]!.runtimeConfig, { mac: "02:42:0a:03:00:09" });
    assert.deepEqual(full[3]!.runtimeConfig, { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: "tcp", hostIP: "127.0.0.1" }] });
  });
});


describe("orphaned CNI plugins", () => {
  it("finds plugin processes of a container by CNI_CONTAINERID and waits for them to finish", async () => {
    const { pluginsRunningFor, waitForPlugins } = await import("../src/network/cni/orphans.ts");
    const id = `orphan-${process.pid}`;
    const p = Bun.spawn(["sleep", "0.4"], { env: { CNI_CONTAINERID: id, PATH: "/usr/bin:/bin" } });
    await Bun.sleep(50);
    assert.deepEqual(pluginsRunningFor(id), [p.pid]);
    assert.deepEqual(pluginsRunningFor(`${id}-other`), []);
    const t0 = Date.now();
    await waitForPlugins(id);
    assert.ok(Date.now() - t0 >= 250, "waited for the plugin");
    assert.deepEqual(pluginsRunningFor(id), []);
    await p.exited;
  });
});
