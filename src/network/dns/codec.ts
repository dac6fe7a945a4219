// DNS messages (RFC 1035) for berth's resolver: decode queries and replies (names with compression
// pointers, A/AAAA/PTR/CNAME rdata), encode replies (A and PTR answers, name compression).

export const TYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, OPT: 41, ANY: 255 } as const;
export const CLASS_IN = 1;
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

export interface Question {
  name: string;
  type: number;
  class: number;
}

export interface ResourceRecord {
  name: string;
  type: number;
  class: number;
  ttl: number;
  /** A: dotted quad; AAAA: hex groups; PTR/CNAME/NS: a name; others: undefined (see rdata) */
  data?: string;
  rdata: Uint8Array;
}

export interface Message {
  id: number;
  /** QR bit */
  response: boolean;
  opcode: number;
  authoritative: boolean;
  truncated: boolean;
  recursionDesired: boolean;
  recursionAvailable: boolean;
  rcode: number;
  questions: Question[];
  answers: ResourceRecord[];
  authority: ResourceRecord[];
  additional: ResourceRecord[];
}

export class DnsFormatError extends Error {
  override name = "DnsFormatError";
}

function readName(buf: Uint8Array, start: number): { name: string; next: number } {
  const labels: string[] = [];
  let off = start;
  let next = -1;
  let jumps = 0;
  for (;;) {
    if (off >= buf.length) throw new DnsFormatError("name runs past the end of the message");
    const len = buf[off]!;
    if ((len & 0xc0) === 0xc0) {
      if (off + 1 >= buf.length) throw new DnsFormatError("truncated compression pointer");
      if (++jumps > 32) throw new DnsFormatError("compression pointer loop");
      if (next < 0) next = off + 2;
      off = ((len & 0x3f) << 8) | buf[off + 1]!;
      continue;
    }
    if (len & 0xc0) throw new DnsFormatError(`unsupported label type 0x${len.toString(16)}`);
    if (len === 0) {
      off += 1;
      break;
    }
    if (off + 1 + len > buf.length) throw new DnsFormatError("label runs past the end of the message");
    labels.push(new TextDecoder().decode(buf.subarray(off + 1, off + 1 + len)));
    off += 1 + len;
  }
  const name = labels.join(".");
  if (name.length > 253) throw new DnsFormatError("name longer than 253 characters");
  return { name, next: next >= 0 ? next : off };
}

function readRecord(buf: Uint8Array, dv: DataView, off: number): { rr: ResourceRecord; next: number } {
  const { name, next } = readName(buf, off);
  if (next + 10 > buf.length) throw new DnsFormatError("truncated resource record");
  const type = dv.getUint16(next);
  const klass = dv.getUint16(next + 2);
  const ttl = dv.getUint32(next + 4);
  const rdlen = dv.getUint16(next + 8);
  const rstart = next + 10;
  if (rstart + rdlen > buf.length) throw new DnsFormatError("truncated rdata");
  const rdata = buf.slice(rstart, rstart + rdlen);
  let data: string | undefined;
  if (type === TYPE.A && rdlen === 4) data = Array.from(rdata).join(".");
  else if (type === TYPE.AAAA && rdlen === 16) {
    const g: string[] = [];
    for (let i = 0; i < 16; i += 2) g.push(((rdata[i]! << 8) | rdata[i + 1]!).toString(16));
    data = g.join(":");
  } else if (type === TYPE.PTR || type === TYPE.CNAME || type === TYPE.NS) data = readName(buf, rstart).name;
  return { rr: { name, type, class: klass, ttl, data, rdata }, next: rstart + rdlen };
}

/** Decode a whole message; throws DnsFormatError on malformed input. */
export function decode(buf: Uint8Array): Message {
  if (buf.length < 12) throw new DnsFormatError("message shorter than the 12-byte header");
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const flags = dv.getUint16(2);
  const counts = [dv.getUint16(4), dv.getUint16(6), dv.getUint16(8), dv.getUint16(10)];
  let off = 12;
  const questions: Question[] = [];
  for (let i = 0; i < counts[0]!; i++) {
    const { name, next } = readName(buf, off);
    if (next + 4 > buf.length) throw new DnsFormatError("truncated question");
    questions.push({ name, type: dv.getUint16(next), class: dv.getUint16(next + 2) });
    off = next + 4;
  }
  const sections: ResourceRecord[][] = [[], [], []];
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < counts[s + 1]!; i++) {
      const { rr, next } = readRecord(buf, dv, off);
      sections[s]!.push(rr);
      off = next;
    }
  }
  return {
    id: dv.getUint16(0),
    response: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    authoritative: (flags & 0x0400) !== 0,
    truncated: (flags & 0x0200) !== 0,
    recursionDesired: (flags & 0x0100) !== 0,
    recursionAvailable: (flags & 0x0080) !== 0,
    rcode: flags & 0xf,
    questions,
    answers: sections[0]!,
    authority: sections[1]!,
    additional: sections[2]!,
  };
}

class Writer {
  private buf = new Uint8Array(512);
  len = 0;
  private names = new Map<string, number>();
  private ensure(n: number) {
    if (this.len + n <= this.buf.length) return;
    const b = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }
  u8(v: number) {
    this.ensure(1);
    this.buf[this.len++] = v & 255;
  }
  u16(v: number) {
    this.u8(v >>> 8);
    this.u8(v);
  }
  u32(v: number) {
    this.u16(v >>> 16);
    this.u16(v & 0xffff);
  }
  bytes(b: Uint8Array) {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  setU16(at: number, v: number) {
    this.buf[at] = (v >>> 8) & 255;
    this.buf[at + 1] = v & 255;
  }
  name(n: string) {
    const labels = n.replace(/\.$/, "").split(".").filter((l) => l.length > 0);
    for (let i = 0; i < labels.length; i++) {
      const suffix = labels.slice(i).join(".");
      const at = this.names.get(suffix);
      if (at !== undefined) {
        this.u16(0xc000 | at);
        return;
      }
      if (this.len < 0x4000) this.names.set(suffix, this.len);
      const l = new TextEncoder().encode(labels[i]!);
      if (l.length > 63) throw new DnsFormatError(`label "${labels[i]}" longer than 63 bytes`);
      this.u8(l.length);
      this.bytes(l);
    }
    this.u8(0);
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** The parts of a message `encode` needs; omitted flags are false/0. */
export interface EncodeInput {
  id: number;
  response?: boolean;
  opcode?: number;
  authoritative?: boolean;
  recursionDesired?: boolean;
  recursionAvailable?: boolean;
  rcode?: number;
  questions: Question[];
  /** A (data = dotted quad) and PTR/CNAME (data = name) records; others need rdata */
  answers?: { name: string; type: number; ttl: number; data?: string; rdata?: Uint8Array }[];
}

export function encode(m: EncodeInput): Uint8Array {
  const w = new Writer();
  w.u16(m.id);
  w.u16(
    (m.response ? 0x8000 : 0) |
      (((m.opcode ?? 0) & 0xf) << 11) |
      (m.authoritative ? 0x0400 : 0) |
      (m.recursionDesired ? 0x0100 : 0) |
      (m.recursionAvailable ? 0x0080 : 0) |
      ((m.rcode ?? 0) & 0xf),
  );
  const answers = m.answers ?? [];
  w.u16(m.questions.length);
  w.u16(answers.length);
  w.u16(0);
  w.u16(0);
  for (const q of m.questions) {
    w.name(q.name);
    w.u16(q.type);
    w.u16(q.class);
  }
  for (const a of answers) {
    w.name(a.name);
    w.u16(a.type);
    w.u16(CLASS_IN);
    w.u32(a.ttl);
    const lenAt = w.len;
    w.u16(0);
    const start = w.len;
    if (a.type === TYPE.A && a.data !== undefined) {
      const parts = a.data.split(".").map(Number);
      if (parts.length !== 4 || parts.some((p) => !(p >= 0 && p <= 255))) throw new DnsFormatError(`invalid A record data "${a.data}"`);
      for (const p of parts) w.u8(p);
    } else if ((a.type === TYPE.PTR || a.type === TYPE.CNAME || a.type === TYPE.NS) && a.data !== undefined) {
      w.name(a.data);
    } else if (a.rdata) {
      w.bytes(a.rdata);
    } else throw new DnsFormatError(`no rdata for record type ${a.type}`);
    w.setU16(lenAt, w.len - start);
  }
  return w.result();
}

/** A reply to `q` with the same ID, question, opcode and RD bit. */
export function reply(q: Message, rcode: number, answers: EncodeInput["answers"] = [], authoritative = true): Uint8Array {
  return encode({
    id: q.id,
    response: true,
    opcode: q.opcode,
    authoritative,
    recursionDesired: q.recursionDesired,
    recursionAvailable: true,
    rcode,
    questions: q.questions,
    answers,
  });
}

/** "4.3.2.1.in-addr.arpa" -> "1.2.3.4"; undefined for other names. */
export function ptrToIPv4(name: string): string | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.in-addr\.arpa\.?$/i.exec(name);
  return m ? [m[4], m[3], m[2], m[1]].join(".") : undefined;
}
