// Compiles an OCI `linux.seccomp` section into a classic-BPF program for
// seccomp(SECCOMP_SET_MODE_FILTER). Semantics follow runc + libseccomp:
//  - seccomp_data.arch is checked first; unknown arches get SECCOMP_RET_KILL_THREAD
//    (libseccomp's default bad-arch action). The native arch (x86_64) is always
//    included, as libseccomp's seccomp_init() does.
//  - x32 shares AUDIT_ARCH_X86_64; nr >= 0x40000000 selects the x32 table (or bad-arch
//    if x32 isn't allowed), so x32 calls can't masquerade as x86_64 ones.
//  - Unknown syscall names are skipped (runc); rules whose action equals the default
//    action are dropped (runc, since libseccomp rejects them).
//  - Conditions on distinct argument indexes are ANDed; if one argument index appears
//    twice, each condition becomes its own rule (runc's behaviour), i.e. they are ORed.
//  - Rules for one syscall: conditional rules are tried in profile order (first full
//    match wins), then the first unconditional rule, then the default action.
import type { Seccomp, SeccompSyscall } from "../spec.ts";
import { actionRet, filterFlags, SeccompError } from "./actions.ts";
import { ARCHES, FOREIGN_ARCHES, isArchName, NATIVE_ARCH, X32_SYSCALL_BIT, type ArchDef, type ArchName } from "./arches.ts";
import { BPF_JEQ, BPF_JGE, BPF_JGT, BPF_MAXINSNS, encode, ReverseBuilder, type Label } from "./bpf.ts";

export { SeccompError } from "./actions.ts";

export interface CompiledSeccomp {
  /** struct sock_filter[] bytes, little-endian. */
  program: Uint8Array;
  /** SECCOMP_FILTER_FLAG_* bits for seccomp(2). */
  flags: number;
}

type Op = "SCMP_CMP_NE" | "SCMP_CMP_LT" | "SCMP_CMP_LE" | "SCMP_CMP_EQ" | "SCMP_CMP_GE" | "SCMP_CMP_GT" | "SCMP_CMP_MASKED_EQ";
const OPS: ReadonlySet<string> = new Set<Op>([
  "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ",
]);

interface Cond {
  index: number;
  op: Op;
  value: bigint;
  valueTwo: bigint;
}

interface Rule {
  conds: Cond[];
  ret: number;
}

interface SyscallRules {
  conditional: Rule[];
  unconditional?: number;
}

const SECCOMP_DATA_NR = 0;
const SECCOMP_DATA_ARCH = 4;
const SECCOMP_DATA_ARGS = 16;
const U64_MAX = (1n << 64n) - 1n;
const KILL_THREAD = 0;

export function compileSeccomp(s: Seccomp): CompiledSeccomp {
  const defaultRet = actionRet(s.defaultAction, s.defaultErrnoRet, "linux.seccomp.defaultAction", "linux.seccomp.defaultErrnoRet");
  const flags = filterFlags(s.flags);
  const arches = resolveArches(s.architectures);
  const rules = (s.syscalls ?? []).map((sc, i) => parseRule(sc, i));

  const perArch = new Map<ArchName, Map<number, SyscallRules>>();
  for (const arch of arches) perArch.set(arch.name, collect(arch, s.syscalls ?? [], rules, defaultRet));

  const b = new ReverseBuilder();
  const badArch = b.ret(KILL_THREAD);
  const dflt = b.ret(defaultRet);
  const body = (name: ArchName): Label | undefined => {
    const arch = ARCHES[name];
    const table = perArch.get(name);
    return table ? emitArch(b, arch, table, dflt) : undefined;
  };

  // One block per AUDIT_ARCH value (x86_64, which also carries x32 via the nr bit, and
  // i386). Emitted back to front, so the native x86_64 test ends up first.
  const blocks: { audit: number; start: Label }[] = [];
  if (perArch.has("SCMP_ARCH_X86")) {
    b.goto(body("SCMP_ARCH_X86") ?? badArch);
    blocks.push({ audit: ARCHES.SCMP_ARCH_X86.audit, start: b.loadAbs(SECCOMP_DATA_NR) });
  }
  {
    const x32 = body("SCMP_ARCH_X32") ?? badArch;
    const x64 = body("SCMP_ARCH_X86_64") ?? badArch;
    b.jump(BPF_JGE, X32_SYSCALL_BIT, x32, x64);
    blocks.push({ audit: ARCHES.SCMP_ARCH_X86_64.audit, start: b.loadAbs(SECCOMP_DATA_NR) });
  }
  let next = badArch;
  for (const blk of blocks) next = b.jump(BPF_JEQ, blk.audit, blk.start, next);
  b.loadAbs(SECCOMP_DATA_ARCH);

  if (b.length > BPF_MAXINSNS) {
    throw new SeccompError(`linux.seccomp: compiled filter has ${b.length} instructions, over the kernel limit of ${BPF_MAXINSNS}`);
  }
  return { program: encode(b.insns()), flags };
}

function resolveArches(list: string[] | undefined): ArchDef[] {
  const names = new Set<ArchName>([NATIVE_ARCH]);
  (list ?? []).forEach((a, i) => {
    if (isArchName(a)) names.add(a);
    else if (!FOREIGN_ARCHES.has(a)) throw new SeccompError(`linux.seccomp.architectures[${i}]: unknown architecture ${JSON.stringify(a)}`);
  });
  return [...names].map((n) => ARCHES[n]);
}

function parseU64(v: unknown, field: string): bigint {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || BigInt(v) > U64_MAX) {
    throw new SeccompError(`${field}: must be an unsigned 64-bit integer, got ${JSON.stringify(v)}`);
  }
  return BigInt(v);
}

/** Validates one syscalls[] entry; returns its RET value and its rules' condition lists. */
function parseRule(sc: SeccompSyscall, i: number): { ret: number; condSets: Cond[][] } {
  const at = `linux.seccomp.syscalls[${i}]`;
  if (!Array.isArray(sc.names) || sc.names.length === 0) throw new SeccompError(`${at}.names: must be a non-empty list`);
  sc.names.forEach((n, j) => {
    if (typeof n !== "string" || n === "") throw new SeccompError(`${at}.names[${j}]: must be a non-empty string`);
  });
  const ret = actionRet(sc.action, sc.errnoRet, `${at}.action`, `${at}.errnoRet`);
  const conds = (sc.args ?? []).map((a, j): Cond => {
    const f = `${at}.args[${j}]`;
    if (!Number.isInteger(a.index) || a.index < 0 || a.index > 5) {
      throw new SeccompError(`${f}.index: must be 0..5, got ${JSON.stringify(a.index)}`);
    }
    if (!OPS.has(a.op)) throw new SeccompError(`${f}.op: unknown operator ${JSON.stringify(a.op)}`);
    return {
      index: a.index,
      op: a.op as Op,
      value: parseU64(a.value, `${f}.value`),
      valueTwo: a.valueTwo === undefined ? 0n : parseU64(a.valueTwo, `${f}.valueTwo`),
    };
  });
  const repeated = new Set(conds.map((c) => c.index)).size !== conds.length;
  return { ret, condSets: repeated ? conds.map((c) => [c]) : [conds] };
}

function collect(arch: ArchDef, syscalls: SeccompSyscall[], parsed: { ret: number; condSets: Cond[][] }[], defaultRet: number): Map<number, SyscallRules> {
  const out = new Map<number, SyscallRules>();
  syscalls.forEach((sc, i) => {
    const { ret, condSets } = parsed[i];
    if (ret === defaultRet) return;
    for (const name of sc.names) {
      const nr = arch.syscalls.get(name);
      if (nr === undefined) continue;
      let r = out.get(nr);
      if (!r) out.set(nr, (r = { conditional: [] }));
      for (const conds of condSets) {
        if (conds.length === 0) r.unconditional ??= ret;
        else r.conditional.push({ conds, ret });
      }
    }
  });
  return out;
}

/** Emits the per-syscall dispatch for one arch; expects nr in A. Returns its entry label. */
function emitArch(b: ReverseBuilder, arch: ArchDef, table: Map<number, SyscallRules>, dflt: Label): Label {
  const nrs = [...table.keys()].sort((x, y) => x - y);
  // Bodies first (they end up after the dispatch tree).
  const bodies = new Map<number, Label>();
  for (const nr of nrs) bodies.set(nr, emitSyscall(b, arch, table.get(nr)!, dflt));
  // Ranges of nr with the same target, gaps going to the default action; consecutive
  // syscalls that all just ALLOW collapse into one range.
  const segs: { start: number; target: Label }[] = [];
  const add = (start: number, target: Label): void => {
    const last = segs[segs.length - 1];
    if (last && last.target === target) return;
    if (last && last.start === start) {
      last.target = target;
      if (segs.length > 1 && segs[segs.length - 2].target === target) segs.pop();
    } else segs.push({ start, target });
  };
  add(0, dflt);
  for (const nr of nrs) {
    add(nr, bodies.get(nr)!);
    add(nr + 1, dflt);
  }
  return emitTree(b, segs, 0, segs.length);
}

/** Binary search over segment starts: O(log n) comparisons per syscall. */
function emitTree(b: ReverseBuilder, segs: { start: number; target: Label }[], lo: number, hi: number): Label {
  if (hi - lo === 1) return segs[lo].target;
  const mid = (lo + hi) >> 1;
  const right = emitTree(b, segs, mid, hi);
  const left = emitTree(b, segs, lo, mid);
  return b.jump(BPF_JGE, segs[mid].start, right, left);
}

function emitSyscall(b: ReverseBuilder, arch: ArchDef, r: SyscallRules, dflt: Label): Label {
  let after = r.unconditional !== undefined ? b.ret(r.unconditional) : dflt;
  for (let i = r.conditional.length - 1; i >= 0; i--) {
    const rule = r.conditional[i];
    let pass = b.ret(rule.ret);
    for (let j = rule.conds.length - 1; j >= 0; j--) pass = emitCond(b, arch, rule.conds[j], pass, after);
    after = pass;
  }
  return after;
}

const lo32 = (v: bigint): number => Number(v & 0xffffffffn);
const hi32 = (v: bigint): number => Number((v >> 32n) & 0xffffffffn);

/** Emits a test of one argument condition; control goes to `pass` or `fail`. */
function emitCond(b: ReverseBuilder, arch: ArchDef, c: Cond, pass: Label, fail: Label): Label {
  const loOff = SECCOMP_DATA_ARGS + 8 * c.index; // little-endian: low word first
  const hiOff = loOff + 4;
  const wide = arch.argBits === 64;
  // `cmp` emits "load word; compare" for one half; returns the load's label.
  const cmp = (off: number, op: typeof BPF_JEQ | typeof BPF_JGT | typeof BPF_JGE, k: number, t: Label, f: Label): Label => {
    b.jump(op, k, t, f);
    return b.loadAbs(off);
  };
  switch (c.op) {
    case "SCMP_CMP_EQ":
    case "SCMP_CMP_NE": {
      const [t, f] = c.op === "SCMP_CMP_EQ" ? [pass, fail] : [fail, pass];
      const low = cmp(loOff, BPF_JEQ, lo32(c.value), t, f);
      return wide ? cmp(hiOff, BPF_JEQ, hi32(c.value), low, f) : low;
    }
    case "SCMP_CMP_GT":
    case "SCMP_CMP_LE":
    case "SCMP_CMP_GE":
    case "SCMP_CMP_LT": {
      // GT/LE share "A > v", GE/LT share "A >= v"; LE and LT swap the outcomes.
      const op = c.op === "SCMP_CMP_GT" || c.op === "SCMP_CMP_LE" ? BPF_JGT : BPF_JGE;
      const [t, f] = c.op === "SCMP_CMP_GT" || c.op === "SCMP_CMP_GE" ? [pass, fail] : [fail, pass];
      const low = cmp(loOff, op, lo32(c.value), t, f);
      if (!wide) return low;
      // hi > vhi decides; hi == vhi defers to the low word; otherwise it's less.
      const hiEq = b.jump(BPF_JEQ, hi32(c.value), low, f);
      b.jump(BPF_JGT, hi32(c.value), t, hiEq);
      return b.loadAbs(hiOff);
    }
    case "SCMP_CMP_MASKED_EQ": {
      // OCI: value is the mask, valueTwo the expected (arg & mask).
      b.jump(BPF_JEQ, lo32(c.valueTwo), pass, fail);
      b.and(lo32(c.value));
      const low = b.loadAbs(loOff);
      if (!wide || (hi32(c.value) === 0 && hi32(c.valueTwo) === 0)) return low;
      b.jump(BPF_JEQ, hi32(c.valueTwo), low, fail);
      b.and(hi32(c.value));
      return b.loadAbs(hiOff);
    }
  }
}
