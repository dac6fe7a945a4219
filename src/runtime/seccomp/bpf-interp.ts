// A small classic-BPF interpreter over struct seccomp_data, for tests: it runs a
// compiled program the way the kernel would and returns the SECCOMP_RET_* value.
// Only the instructions the compiler emits (plus JSET) are implemented; anything
// else throws, so a bad program fails loudly instead of deciding silently.
import { BPF_ABS, BPF_ALU, BPF_AND, BPF_JA, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JMP, BPF_K, BPF_LD, BPF_RET, BPF_W, decode } from "./bpf.ts";

const BPF_JSET = 0x40;
const SECCOMP_DATA_SIZE = 64;

export interface SeccompData {
  nr: number;
  arch: number;
  ip?: bigint;
  /** Up to six 64-bit arguments; missing ones are 0. */
  args?: (bigint | number)[];
}

export function seccompDataBytes(d: SeccompData): DataView {
  const dv = new DataView(new ArrayBuffer(SECCOMP_DATA_SIZE));
  dv.setInt32(0, d.nr | 0, true);
  dv.setUint32(4, d.arch >>> 0, true);
  dv.setBigUint64(8, d.ip ?? 0n, true);
  (d.args ?? []).slice(0, 6).forEach((a, i) => dv.setBigUint64(16 + 8 * i, BigInt.asUintN(64, BigInt(a)), true));
  return dv;
}

/** Runs `program` on `data`; returns the RET value (unsigned). */
export function runFilter(program: Uint8Array, data: SeccompData): number {
  const insns = decode(program);
  const mem = seccompDataBytes(data);
  let a = 0;
  for (let pc = 0, steps = 0; pc < insns.length; pc++, steps++) {
    if (steps > insns.length) throw new Error("BPF: backwards jump or loop");
    const { code, jt, jf, k } = insns[pc];
    switch (code) {
      case BPF_LD | BPF_W | BPF_ABS:
        if (k % 4 !== 0 || k + 4 > SECCOMP_DATA_SIZE) throw new Error(`BPF: bad load offset ${k} at ${pc}`);
        a = mem.getUint32(k, true);
        break;
      case BPF_ALU | BPF_AND | BPF_K:
        a = (a & k) >>> 0;
        break;
      case BPF_JMP | BPF_JA:
        pc += k;
        break;
      case BPF_JMP | BPF_JEQ | BPF_K:
        pc += a === k ? jt : jf;
        break;
      case BPF_JMP | BPF_JGT | BPF_K:
        pc += a > k ? jt : jf;
        break;
      case BPF_JMP | BPF_JGE | BPF_K:
        pc += a >= k ? jt : jf;
        break;
      case BPF_JMP | BPF_JSET | BPF_K:
        pc += (a & k) !== 0 ? jt : jf;
        break;
      case BPF_RET | BPF_K:
        return k >>> 0;
      default:
        throw new Error(`BPF: unsupported opcode 0x${code.toString(16)} at ${pc}`);
    }
  }
  throw new Error("BPF: fell off the end of the program");
}
