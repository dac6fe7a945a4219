// Classic BPF encoding plus a builder that emits the program back to front.
// Emitting in reverse means every jump target already exists when the jump is written,
// so offsets are known immediately; targets beyond the 8-bit jt/jf range get a
// trampoline (a copy of the target's RET, or a BPF_JA with its 32-bit offset).

export const BPF_LD = 0x00;
export const BPF_ALU = 0x04;
export const BPF_JMP = 0x05;
export const BPF_RET = 0x06;
export const BPF_W = 0x00;
export const BPF_ABS = 0x20;
export const BPF_K = 0x00;
export const BPF_AND = 0x50;
export const BPF_JA = 0x00;
export const BPF_JEQ = 0x10;
export const BPF_JGT = 0x20;
export const BPF_JGE = 0x30;

/** Kernel limit on filter length (BPF_MAXINSNS). */
export const BPF_MAXINSNS = 4096;

export interface Insn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

/** Position of an instruction counted from the end of the program (0 = last). */
export type Label = number;

export type JumpOp = typeof BPF_JEQ | typeof BPF_JGT | typeof BPF_JGE;

export class ReverseBuilder {
  private readonly rev: Insn[] = [];
  /** RET value -> label of its most recent (i.e. nearest to new code) copy. */
  private readonly rets = new Map<number, Label>();
  /** Far target -> nearest equivalent instruction (RET copy or JA trampoline). */
  private readonly near = new Map<Label, Label>();

  private push(insn: Insn): Label {
    this.rev.push(insn);
    return this.rev.length - 1;
  }

  /** Label of the instruction emitted last, i.e. the one that follows new code. */
  get next(): Label {
    if (this.rev.length === 0) throw new Error("empty program has no next instruction");
    return this.rev.length - 1;
  }

  ret(k: number): Label {
    const have = this.rets.get(k >>> 0);
    if (have !== undefined) return have;
    const l = this.push({ code: BPF_RET | BPF_K, jt: 0, jf: 0, k: k >>> 0 });
    this.rets.set(k >>> 0, l);
    return l;
  }

  loadAbs(offset: number): Label {
    return this.push({ code: BPF_LD | BPF_W | BPF_ABS, jt: 0, jf: 0, k: offset });
  }

  and(k: number): Label {
    return this.push({ code: BPF_ALU | BPF_AND | BPF_K, jt: 0, jf: 0, k: k >>> 0 });
  }

  /** Unconditional jump to `target` (or nothing if it's already the next instruction). */
  goto(target: Label): Label {
    if (target === this.rev.length - 1) return target;
    return this.push({ code: BPF_JMP | BPF_JA, jt: 0, jf: 0, k: this.rev.length - target - 1 });
  }

  /** `if (A op k) goto jt else goto jf`. */
  jump(op: JumpOp, k: number, jt: Label, jf: Label): Label {
    if (jt === jf) return this.goto(jt);
    // Reserve reachable stand-ins for far targets before placing the jump itself.
    const t = this.reach(jt);
    const f = this.reach(jf);
    const at = this.rev.length;
    return this.push({ code: BPF_JMP | op | BPF_K, jt: at - t - 1, jf: at - f - 1, k: k >>> 0 });
  }

  /** A label equivalent to `target` within reach of the jump about to be emitted. */
  private reach(target: Label): Label {
    // The jump may land one slot further away if the other target needs a stand-in
    // too, so keep one slot of slack below the 255 maximum.
    const limit = 254;
    if (this.rev.length - target - 1 <= limit) return target;
    const cached = this.near.get(target);
    if (cached !== undefined && this.rev.length - cached - 1 <= limit) return cached;
    const insn = this.rev[target];
    const stand =
      insn.code === (BPF_RET | BPF_K)
        ? this.push({ ...insn })
        : this.push({ code: BPF_JMP | BPF_JA, jt: 0, jf: 0, k: this.rev.length - target - 1 });
    if (insn.code === (BPF_RET | BPF_K)) this.rets.set(insn.k, stand);
    this.near.set(target, stand);
    return stand;
  }

  get length(): number {
    return this.rev.length;
  }

  /** The program in execution order. */
  insns(): Insn[] {
    return [...this.rev].reverse();
  }
}

/** Serialize to `struct sock_filter[]`, little-endian, 8 bytes per instruction. */
export function encode(insns: Insn[]): Uint8Array {
  const out = new Uint8Array(insns.length * 8);
  const dv = new DataView(out.buffer);
  insns.forEach((ins, i) => {
    dv.setUint16(i * 8, ins.code, true);
    dv.setUint8(i * 8 + 2, ins.jt);
    dv.setUint8(i * 8 + 3, ins.jf);
    dv.setUint32(i * 8 + 4, ins.k >>> 0, true);
  });
  return out;
}

export function decode(program: Uint8Array): Insn[] {
  if (program.length % 8 !== 0) throw new Error(`BPF program length ${program.length} is not a multiple of 8`);
  const dv = new DataView(program.buffer, program.byteOffset, program.byteLength);
  const out: Insn[] = [];
  for (let i = 0; i < program.length; i += 8) {
    out.push({ code: dv.getUint16(i, true), jt: dv.getUint8(i + 2), jf: dv.getUint8(i + 3), k: dv.getUint32(i + 4, true) });
  }
  return out;
}
