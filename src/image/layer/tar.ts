// A streaming tar reader and a tar writer (ustar + PAX + GNU long names).
// The reader is push-based and synchronous: feed it chunks as they arrive; it calls the sink
// for each entry header, then with that entry's data, so nothing is buffered whole.
import { normalJit } from "../../sys/jit.ts";

export type EntryType = "file" | "link" | "symlink" | "chardev" | "blockdev" | "dir" | "fifo";

export interface TarEntry {
  name: string;
  type: EntryType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** seconds since the epoch (fractional from PAX) */
  mtime: number;
  linkname: string;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
  /** extended attributes (PAX SCHILY.xattr.* / LIBARCHIVE.xattr.*) */
  xattrs: Map<string, Buffer>;
}

export interface TarSink {
  entry(e: TarEntry): void;
  data(chunk: Uint8Array): void;
  /** the entry's data is complete */
  endEntry(): void;
}

export class TarError extends Error {
  override name = "TarError";
}

const dec = new TextDecoder();

function cstring(b: Uint8Array, off: number, len: number): string {
  let end = off;
  const lim = off + len;
  while (end < lim && b[end] !== 0) end++;
  return dec.decode(b.subarray(off, end));
}

function num(b: Uint8Array, off: number, len: number): number {
  if (b[off]! & 0x80) {
    // base-256 (GNU): big-endian two's complement with the top bit set
    let v = b[off]! & 0x7f;
    for (let i = 1; i < len; i++) v = v * 256 + b[off + i]!;
    return v;
  }
  const s = cstring(b, off, len).trim();
  if (s === "") return 0;
  if (!/^[0-7]+$/.test(s)) throw new TarError(`invalid octal number "${s}" in tar header`);
  return parseInt(s, 8);
}

const TYPES: Record<string, EntryType> = { "0": "file", "\0": "file", "7": "file", "1": "link", "2": "symlink", "3": "chardev", "4": "blockdev", "5": "dir", "6": "fifo" };

type State = "header" | "data" | "meta" | "skip" | "end";

export class TarParser {
  private state: State = "header";
  private hdr = new Uint8Array(512);
  private hdrFill = 0;
  private remaining = 0;
  private padding = 0;
  private metaKind = "";
  private meta: Uint8Array[] = [];
  private pax: Map<string, Buffer> = new Map();
  private globalPax: Map<string, Buffer> = new Map();
  private longName: string | undefined;
  private longLink: string | undefined;
  private entries = 0;

  constructor(private readonly sink: TarSink) {
    normalJit();
  }

  get ended(): boolean {
    return this.state === "end";
  }

  push(chunk: Uint8Array): void {
    let off = 0;
    while (off < chunk.length) {
      if (this.state === "end") return; // trailing zero blocks / junk after the end marker
      if (this.padding > 0 && this.remaining === 0 && this.state !== "header") {
        const n = Math.min(this.padding, chunk.length - off);
        this.padding -= n;
        off += n;
        if (this.padding === 0) this.state = "header";
        continue;
      }
      if (this.state === "header") {
        const n = Math.min(512 - this.hdrFill, chunk.length - off);
        this.hdr.set(chunk.subarray(off, off + n), this.hdrFill);
        this.hdrFill += n;
        off += n;
        if (this.hdrFill === 512) {
          this.hdrFill = 0;
          this.header();
        }
        continue;
      }
      const n = Math.min(this.remaining, chunk.length - off);
      const part = chunk.subarray(off, off + n);
      off += n;
      this.remaining -= n;
      if (this.state === "data") this.sink.data(part);
      else if (this.state === "meta") this.meta.push(part.slice());
      if (this.remaining === 0) this.finishData();
    }
  }

  /** Call at end of input: throws if the archive was cut short. */
  finish(): void {
    if (this.state === "end") return;
    if (this.state === "header" && this.hdrFill === 0 && this.entries >= 0) {
      // tolerate archives without the two zero blocks (some tools omit them)
      this.state = "end";
      return;
    }
    throw new TarError("unexpected end of tar archive (truncated entry)");
  }

  private finishData(): void {
    const st = this.state;
    if (st === "data") this.sink.endEntry();
    else if (st === "meta") this.finishMeta();
    this.state = this.padding > 0 ? st : "header";
    if (this.padding === 0) this.state = "header";
  }

  private finishMeta(): void {
    const buf = Buffer.concat(this.meta);
    this.meta = [];
    if (this.metaKind === "L") this.longName = cstring(buf, 0, buf.length);
    else if (this.metaKind === "K") this.longLink = cstring(buf, 0, buf.length);
    else if (this.metaKind === "x" || this.metaKind === "g") {
      const into = this.metaKind === "x" ? this.pax : this.globalPax;
      let p = 0;
      while (p < buf.length) {
        const sp = buf.indexOf(0x20, p);
        if (sp < 0) break;
        const len = parseInt(buf.subarray(p, sp).toString("latin1"), 10);
        if (!(len > 0) || p + len > buf.length) throw new TarError("invalid PAX extended header record");
        const rec = buf.subarray(sp + 1, p + len - 1); // without the trailing \n
        const eq = rec.indexOf(0x3d);
        if (eq < 0) throw new TarError("invalid PAX extended header record (no '=')");
        into.set(rec.subarray(0, eq).toString("utf8"), Buffer.from(rec.subarray(eq + 1)));
        p += len;
      }
    }
  }

  private header(): void {
    const h = this.hdr;
    let zero = true;
    for (let i = 0; i < 512; i++) if (h[i] !== 0) { zero = false; break; }
    if (zero) {
      this.state = "end";
      return;
    }
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
    const want = num(h, 148, 8);
    if (sum !== want) throw new TarError(`invalid tar header checksum (entry ${this.entries + 1})`);
    const flag = String.fromCharCode(h[156]!);
    const size = num(h, 124, 12);
    const padding = (512 - (size % 512)) % 512;
    if (flag === "x" || flag === "g" || flag === "L" || flag === "K") {
      this.metaKind = flag;
      this.remaining = size;
      this.padding = padding;
      this.state = "meta";
      if (size === 0) this.finishData();
      return;
    }
    const magic = cstring(h, 257, 6);
    const version = String.fromCharCode(h[263]!, h[264]!);
    const gnu = magic === "ustar" && version === " \0";
    let name = cstring(h, 0, 100);
    if (magic === "ustar" && !gnu) {
      const prefix = cstring(h, 345, 155);
      if (prefix) name = `${prefix}/${name}`;
    }
    const type = TYPES[flag];
    const pax = new Map<string, Buffer>([...this.globalPax, ...this.pax]);
    this.pax = new Map();
    const ps = (k: string): string | undefined => pax.get(k)?.toString("utf8");
    const e: TarEntry = {
      name: ps("path") ?? this.longName ?? name,
      type: type ?? "file",
      mode: num(h, 100, 8) & 0o7777,
      uid: Number(ps("uid") ?? num(h, 108, 8)),
      gid: Number(ps("gid") ?? num(h, 116, 8)),
      size: Number(ps("size") ?? size),
      mtime: Number(ps("mtime") ?? num(h, 136, 12)),
      linkname: ps("linkpath") ?? this.longLink ?? cstring(h, 157, 100),
      uname: ps("uname") ?? cstring(h, 265, 32),
      gname: ps("gname") ?? cstring(h, 297, 32),
      devmajor: flag === "3" || flag === "4" ? num(h, 329, 8) : 0,
      devminor: flag === "3" || flag === "4" ? num(h, 337, 8) : 0,
      xattrs: new Map(),
    };
    this.longName = undefined;
    this.longLink = undefined;
    for (const [k, v] of pax) {
      if (k.startsWith("SCHILY.xattr.")) e.xattrs.set(k.slice(13), v);
      else if (k.startsWith("LIBARCHIVE.xattr.")) e.xattrs.set(decodeURIComponent(k.slice(17)), Buffer.from(v.toString("latin1"), "base64"));
    }
    this.entries++;
    const dataSize = e.type === "file" ? e.size : flag === "1" || flag === "2" || flag === "5" || flag === "3" || flag === "4" || flag === "6" ? 0 : e.size;
    if (!type) {
      // unknown entry types (e.g. GNU sparse 'S', volume labels 'V') are skipped with their data
      if (flag === "S") throw new TarError(`sparse tar entries are not supported (${e.name})`);
      this.remaining = e.size;
      this.padding = (512 - (e.size % 512)) % 512;
      this.state = "skip";
      if (this.remaining === 0) this.finishData();
      return;
    }
    this.sink.entry(e);
    this.remaining = dataSize;
    this.padding = (512 - (dataSize % 512)) % 512;
    this.state = "data";
    if (this.remaining === 0) this.finishData();
  }
}

// ---------------------------------------------------------------------------------------
// Writer

export interface WriteEntry {
  name: string;
  type: EntryType;
  mode?: number;
  uid?: number;
  gid?: number;
  size?: number;
  mtime?: number;
  linkname?: string;
  uname?: string;
  gname?: string;
  devmajor?: number;
  devminor?: number;
  xattrs?: Map<string, Buffer>;
}

const enc = new TextEncoder();
const FLAG: Record<EntryType, string> = { file: "0", link: "1", symlink: "2", chardev: "3", blockdev: "4", dir: "5", fifo: "6" };

function putStr(b: Uint8Array, off: number, len: number, s: string): boolean {
  const bytes = enc.encode(s);
  if (bytes.length > len) return false;
  b.set(bytes, off);
  return true;
}

function putOctal(b: Uint8Array, off: number, len: number, v: number): boolean {
  const s = Math.floor(v).toString(8);
  if (s.length > len - 1) return false;
  putStr(b, off, len, s.padStart(len - 1, "0"));
  return true;
}

function rawHeader(name: string, flag: string, e: WriteEntry, size: number): { block: Uint8Array; needPax: boolean } {
  const b = new Uint8Array(512);
  let needPax = false;
  if (!putStr(b, 0, 100, name)) needPax = true;
  putOctal(b, 100, 8, e.mode ?? 0o644);
  if (!putOctal(b, 108, 8, e.uid ?? 0)) needPax = true;
  if (!putOctal(b, 116, 8, e.gid ?? 0)) needPax = true;
  if (!putOctal(b, 124, 12, size)) needPax = true;
  putOctal(b, 136, 12, Math.max(0, Math.floor(e.mtime ?? 0)));
  b[156] = flag.charCodeAt(0);
  if (!putStr(b, 157, 100, e.linkname ?? "")) needPax = true;
  putStr(b, 257, 6, "ustar");
  b[263] = 0x30;
  b[264] = 0x30;
  putStr(b, 265, 32, e.uname ?? "");
  putStr(b, 297, 32, e.gname ?? "");
  if (e.type === "chardev" || e.type === "blockdev") {
    putOctal(b, 329, 8, e.devmajor ?? 0);
    putOctal(b, 337, 8, e.devminor ?? 0);
  }
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += b[i]!;
  putStr(b, 148, 8, sum.toString(8).padStart(6, "0") + "\0 ");
  return { block: b, needPax };
}

function paxRecord(key: string, value: Uint8Array): Uint8Array {
  const k = enc.encode(` ${key}=`);
  const base = k.length + value.length + 1;
  let len = base + String(base).length;
  if (String(len).length !== String(base).length) len = base + String(len).length;
  return Buffer.concat([enc.encode(String(len)), k, value, enc.encode("\n")]);
}

function pad(n: number): Uint8Array {
  return new Uint8Array((512 - (n % 512)) % 512);
}

/** The header block(s) for an entry (a PAX header first when needed). Data and padding follow separately. */
export function tarHeader(e: WriteEntry): Uint8Array {
  const size = e.type === "file" ? (e.size ?? 0) : 0;
  const first = rawHeader(e.name, FLAG[e.type], e, size);
  const xattrs = e.xattrs ?? new Map<string, Buffer>();
  if (!first.needPax && xattrs.size === 0) return first.block;
  const recs: Uint8Array[] = [paxRecord("path", enc.encode(e.name))];
  if (e.linkname) recs.push(paxRecord("linkpath", enc.encode(e.linkname)));
  if ((e.uid ?? 0) > 0o7777777) recs.push(paxRecord("uid", enc.encode(String(e.uid))));
  if ((e.gid ?? 0) > 0o7777777) recs.push(paxRecord("gid", enc.encode(String(e.gid))));
  if (size > 0o77777777777) recs.push(paxRecord("size", enc.encode(String(size))));
  for (const [k, v] of xattrs) recs.push(paxRecord(`SCHILY.xattr.${k}`, v));
  const body = Buffer.concat(recs);
  const shortName = e.name.length > 99 ? e.name.slice(0, 99) : e.name;
  const paxHdr = rawHeader(`PaxHeaders/${shortName}`.slice(0, 99), "x", { name: "", type: "file", mode: 0o644 }, body.length).block;
  const main = rawHeader(enc.encode(e.name).length > 100 ? shortName : e.name, FLAG[e.type], { ...e, linkname: (e.linkname ?? "").length > 100 ? "" : e.linkname, uid: Math.min(e.uid ?? 0, 0o7777777), gid: Math.min(e.gid ?? 0, 0o7777777) }, size > 0o77777777777 ? 0 : size).block;
  return Buffer.concat([paxHdr, body, pad(body.length), main]);
}

export function tarPadding(size: number): Uint8Array {
  return pad(size);
}

export const TAR_END = new Uint8Array(1024);

/** Build a whole tar archive in memory (tests, small layers). */
export function buildTar(entries: (WriteEntry & { data?: Uint8Array | string })[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const e of entries) {
    const data = typeof e.data === "string" ? enc.encode(e.data) : (e.data ?? new Uint8Array(0));
    parts.push(tarHeader({ ...e, size: e.type === "file" ? data.length : 0 }));
    if (e.type === "file") {
      parts.push(data, pad(data.length));
    }
  }
  parts.push(TAR_END);
  return Buffer.concat(parts);
}
