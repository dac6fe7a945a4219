// berth's per-network DNS resolver (Docker's embedded DNS, daemonless): answers A queries for the
// names in the network's names file, AAAA/other types for those names with an empty answer, PTR
// for their addresses, and relays everything else to the host's nameservers (or the asking
// container's --dns servers). Internal networks never forward.
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { readFileSync, statSync } from "node:fs";
import { CLASS_IN, decode, ptrToIPv4, RCODE, reply, TYPE, type Message } from "./codec.ts";
import { readNames, type NamesFile } from "./names.ts";
import { normalJit } from "../../sys/jit.ts";

export interface ResolverOptions {
  network: string;
  address: string;
  /** 53 in production; tests use 0 (any free port) */
  port: number;
  namesPath: string;
  /** where upstream nameservers come from (default /etc/resolv.conf), re-read when it changes */
  resolvConfPath?: string;
  /** "ip" or "ip:port" upstreams instead of resolv.conf (tests) */
  upstreams?: string[];
  upstreamTimeoutMs?: number;
  /** TTL of berth's own answers */
  ttl?: number;
}

export interface Resolver {
  port: number;
  close(): Promise<void>;
}

/** nameserver lines of a resolv.conf text. */
export function nameservers(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (m && /^\d+\.\d+\.\d+\.\d+$/.test(m[1]!)) out.push(m[1]!);
  }
  return out;
}

class CachedFile<T> {
  private key = "";
  private value: T | undefined;
  constructor(
    private path: string,
    private parse: (p: string) => T | undefined,
  ) {}
  get(): T | undefined {
    let k: string;
    try {
      const s = statSync(this.path);
      k = `${s.ino}:${s.mtimeMs}:${s.size}`;
    } catch {
      k = "missing";
    }
    if (k !== this.key) {
      this.key = k;
      try {
        this.value = k === "missing" ? undefined : this.parse(this.path);
      } catch {
        this.value = undefined;
      }
    }
    return this.value;
  }
}

function splitHostPort(s: string): { host: string; port: number } {
  const i = s.lastIndexOf(":");
  return i > 0 ? { host: s.slice(0, i), port: Number(s.slice(i + 1)) } : { host: s, port: 53 };
}

/** Send `query` to one upstream and wait for the reply with the same ID. */
function ask(up: { host: string; port: number }, query: Uint8Array, id: number, timeoutMs: number): Promise<Uint8Array | undefined> {
  return new Promise((resolve) => {
    const s = createSocket("udp4");
    let done = false;
    const finish = (v: Uint8Array | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(t);
      s.close();
      resolve(v);
    };
    const t = setTimeout(() => finish(undefined), timeoutMs);
    s.on("error", () => finish(undefined));
    s.on("message", (msg) => {
      if (msg.length >= 2 && msg.readUInt16BE(0) === id) finish(msg);
    });
    s.send(query, up.port, up.host, (err) => {
      if (err) finish(undefined);
    });
  });
}

/** Start serving; resolves once the socket is bound. */
export function startResolver(o: ResolverOptions): Promise<Resolver> {
  normalJit();
  const names = new CachedFile<NamesFile>(o.namesPath, readNames);
  const resolv = new CachedFile<string[]>(o.resolvConfPath ?? "/etc/resolv.conf", (p) => nameservers(readFileSync(p, "utf8")));
  const ttl = o.ttl ?? 600;
  const timeout = o.upstreamTimeoutMs ?? 2000;
  const sock: Socket = createSocket({ type: "udp4", reuseAddr: false });

  const lookup = (qname: string): { ips: string[]; file?: NamesFile } => {
    const f = names.get();
    if (!f) return { ips: [] };
    const n = qname.toLowerCase().replace(/\.$/, "");
    const ips: string[] = [];
    for (const e of Object.values(f.endpoints)) if (e.names.includes(n) && !ips.includes(e.ip)) ips.push(e.ip);
    return { ips, file: f };
  };

  const upstreamsFor = (client: string): { host: string; port: number }[] => {
    const f = names.get();
    const own = Object.values(f?.endpoints ?? {}).find((e) => e.ip === client);
    const list = own && own.dns.length ? own.dns : (o.upstreams ?? resolv.get() ?? []);
    return list.map(splitHostPort).filter((u) => !(u.host === o.address && u.port === resolverPort));
  };

  const forward = async (q: Message, raw: Uint8Array, client: string): Promise<Uint8Array> => {
    if (names.get()?.internal) return reply(q, RCODE.SERVFAIL, [], false);
    for (const up of upstreamsFor(client)) {
      const r = await ask(up, raw, q.id, timeout);
      if (r) return r;
    }
    return reply(q, RCODE.SERVFAIL, [], false);
  };

  const answer = async (raw: Uint8Array, client: string): Promise<Uint8Array | undefined> => {
    let q: Message;
    try {
      q = decode(raw);
    } catch {
      if (raw.length < 12) return undefined;
      // header only: same ID and opcode/RD, QR set, FORMERR
      return new Uint8Array([raw[0]!, raw[1]!, 0x80 | (raw[2]! & 0x79), 0x80 | RCODE.FORMERR, 0, 0, 0, 0, 0, 0, 0, 0]);
    }
    if (q.response) return undefined;
    if (q.opcode !== 0) return reply(q, RCODE.NOTIMP, [], false);
    const question = q.questions[0];
    if (!question || q.questions.length !== 1) return reply(q, RCODE.FORMERR, [], false);
    if (question.class !== CLASS_IN) return forward(q, raw, client);
    if (question.type === TYPE.PTR) {
      const ip = ptrToIPv4(question.name);
      const e = ip ? Object.values(names.get()?.endpoints ?? {}).find((x) => x.ip === ip) : undefined;
      if (e && e.names[0]) return reply(q, RCODE.NOERROR, [{ name: question.name, type: TYPE.PTR, ttl, data: e.names[0] }]);
      return forward(q, raw, client);
    }
    const { ips } = lookup(question.name);
    if (ips.length === 0) return forward(q, raw, client);
    if (question.type === TYPE.A || question.type === TYPE.ANY) {
      // rotate so that an alias shared by several containers spreads the load (as Docker does)
      const k = Math.floor(Math.random() * ips.length);
      const order = [...ips.slice(k), ...ips.slice(0, k)];
      return reply(q, RCODE.NOERROR, order.map((ip) => ({ name: question.name, type: TYPE.A, ttl, data: ip })));
    }
    // AAAA and other types of a berth name: the name exists, no records of that type
    return reply(q, RCODE.NOERROR, []);
  };

  let resolverPort = o.port;
  sock.on("message", (msg: Buffer, rinfo: RemoteInfo) => {
    answer(msg, rinfo.address).then(
      (r) => {
        if (r) sock.send(r, rinfo.port, rinfo.address);
      },
      () => undefined,
    );
  });
  return new Promise((resolve, reject) => {
    sock.once("error", reject);
    sock.bind(o.port, o.address, () => {
      sock.off("error", reject);
      sock.on("error", () => undefined);
      resolverPort = sock.address().port;
      resolve({
        port: resolverPort,
        close: () => new Promise<void>((r) => sock.close(() => r())),
      });
    });
  });
}
