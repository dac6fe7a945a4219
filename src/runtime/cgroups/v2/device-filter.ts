// cgroup v2 has no devices.allow file: access is decided by an eBPF program of type
// BPF_PROG_TYPE_CGROUP_DEVICE attached to the cgroup. This compiles the same ordered rule list
// the v1 controller writes (../devices.ts) into that program: the last matching rule wins, as
// with v1's deny-then-allow writes; no match means deny.
//
// The program sees struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }, where
// access_type = (access << 16) | type, type 1 = block, 2 = char; access bits 1 mknod, 2 read, 4 write.
import type { DeviceCgroup } from "../../spec.ts";

const TYPE = { b: 1, c: 2 } as const;
const ACCESS = { m: 1, r: 2, w: 4 } as const;

// the instruction encodings used (linux/bpf.h)
const LDX_MEM_W = 0x61;
const ALU32_AND_K = 0x54;
const ALU32_RSH_K = 0x74;
const MOV64_K = 0xb7;
const MOV64_X = 0xbf;
const JNE_K = 0x55;
const EXIT = 0x95;

interface Insn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}
const I = (code: number, dst: number, src: number, off: number, imm: number): Insn => ({ code, dst, src, off, imm });

function accessMask(access: string | undefined): number {
  let m = 0;
  for (const ch of access || "rwm") m |= ACCESS[ch as keyof typeof ACCESS] ?? 0;
  return m;
}

function ruleBlock(d: DeviceCgroup): Insn[] {
  // each check jumps to the end of this block ("next rule"); offsets are patched below
  const checks: Insn[] = [];
  const t = d.type ?? "a";
  if (t !== "a") checks.push(I(JNE_K, 2, 0, 0, TYPE[t]));
  const mask = accessMask(d.access);
  if (mask !== 7) {
    // the request must not ask for anything the rule does not grant
    checks.push(I(MOV64_X, 1, 3, 0, 0), I(ALU32_AND_K, 1, 0, 0, ~mask & 7), I(JNE_K, 1, 0, 0, 0));
  }
  if (d.major !== undefined && d.major !== null && d.major >= 0) checks.push(I(JNE_K, 4, 0, 0, d.major));
  if (d.minor !== undefined && d.minor !== null && d.minor >= 0) checks.push(I(JNE_K, 5, 0, 0, d.minor));
  const tail = [I(MOV64_K, 0, 0, 0, d.allow ? 1 : 0), I(EXIT, 0, 0, 0, 0)];
  const block = [...checks, ...tail];
  block.forEach((ins, i) => {
    if (ins.code === JNE_K) ins.off = block.length - i - 1;
  });
  return block;
}

export function compileDeviceFilter(rules: DeviceCgroup[]): Uint8Array {
  const prog: Insn[] = [
    I(LDX_MEM_W, 2, 1, 0, 0), // r2 = access_type
    I(ALU32_AND_K, 2, 0, 0, 0xffff), // r2 = type
    I(LDX_MEM_W, 3, 1, 0, 0),
    I(ALU32_RSH_K, 3, 0, 0, 16), // r3 = access
    I(LDX_MEM_W, 4, 1, 4, 0), // r4 = major
    I(LDX_MEM_W, 5, 1, 8, 0), // r5 = minor
  ];
  let decided = false;
  for (const d of [...rules].reverse()) {
    const block = ruleBlock(d);
    prog.push(...block);
    // a rule that matches everything decides alone: the verifier rejects unreachable code after it
    if (block.length === 2) {
      decided = true;
      break;
    }
  }
  if (!decided) prog.push(I(MOV64_K, 0, 0, 0, 0), I(EXIT, 0, 0, 0, 0));
  const out = new Uint8Array(prog.length * 8);
  const dv = new DataView(out.buffer);
  prog.forEach((ins, i) => {
    dv.setUint8(i * 8, ins.code);
    dv.setUint8(i * 8 + 1, (ins.src << 4) | ins.dst);
    dv.setInt16(i * 8 + 2, ins.off, true);
    dv.setInt32(i * 8 + 4, ins.imm, true);
  });
  return out;
}

/** A tiny interpreter for exactly these instructions: tests decide requests without the kernel. */
export function evalDeviceFilter(program: Uint8Array, req: { type: "b" | "c"; access: string; major: number; minor: number }): boolean {
  const dv = new DataView(program.buffer, program.byteOffset, program.byteLength);
  const ctx = [(accessMask(req.access) << 16) | TYPE[req.type], req.major, req.minor];
  const r = new Array<number>(11).fill(0);
  for (let pc = 0; pc * 8 < program.length; pc++) {
    const code = dv.getUint8(pc * 8);
    const regs = dv.getUint8(pc * 8 + 1);
    const dst = regs & 15;
    const src = regs >> 4;
    const off = dv.getInt16(pc * 8 + 2, true);
    const imm = dv.getInt32(pc * 8 + 4, true);
    switch (code) {
      case LDX_MEM_W:
        r[dst] = ctx[off / 4]! >>> 0;
        break;
      case ALU32_AND_K:
        r[dst] = (r[dst]! & imm) >>> 0;
        break;
      case ALU32_RSH_K:
        r[dst] = r[dst]! >>> imm;
        break;
      case MOV64_K:
        r[dst] = imm;
        break;
      case MOV64_X:
        r[dst] = r[src]!;
        break;
      case JNE_K:
        if (r[dst] !== imm) pc += off;
        break;
      case EXIT:
        return r[0] === 1;
      default:
        throw new Error(`unexpected instruction 0x${code.toString(16)} at ${pc}`);
    }
  }
  throw new Error("program fell off the end");
}
