// Plan -> bytes, in the format native/plan.h documents.
// Runs once per container in a process whose JIT is still cold: one buffer, bytes written by
// hand (no DataView or BigInt per argument, no intermediate arrays).
import { Op } from "./ops.ts";
import type { Plan } from "./types.ts";

const enc = new TextEncoder();

export function encodePlan(plan: Plan): Uint8Array {
  // upper bound: header, 4 per step, 9 per number, 6 + 3 bytes per UTF-16 unit per string
  let max = 12;
  for (const step of plan.steps) {
    max += 4;
    for (const a of step.args) max += typeof a === "number" || typeof a === "bigint" ? 9 : typeof a === "string" ? 6 + 3 * a.length : 6 + a.length;
  }
  const out = new Uint8Array(max);
  let off = 0;
  const u16 = (v: number) => {
    out[off++] = v & 0xff;
    out[off++] = (v >>> 8) & 0xff;
  };
  const u32 = (v: number) => {
    out[off++] = v & 0xff;
    out[off++] = (v >>> 8) & 0xff;
    out[off++] = (v >>> 16) & 0xff;
    out[off++] = (v >>> 24) & 0xff;
  };
  out.set([0x42, 0x50, 0x4c, 0x4e], 0); // "BPLN"
  off = 4;
  u32(1);
  u32(plan.steps.length);
  for (const step of plan.steps) {
    u16(Op[step.op]);
    u16(step.args.length);
    for (const a of step.args) {
      if (typeof a === "number" || typeof a === "bigint") {
        out[off++] = 0;
        // int64, little endian, two's complement
        if (typeof a === "number" && Number.isSafeInteger(a)) {
          const lo = a >>> 0; // low 32 bits (two's complement for negatives too)
          const hi = Math.floor(a / 0x1_0000_0000) >>> 0;
          u32(lo);
          u32(hi);
        } else {
          const v = BigInt.asUintN(64, BigInt(a));
          u32(Number(v & 0xffff_ffffn));
          u32(Number(v >> 32n));
        }
      } else {
        out[off++] = 1;
        const lenAt = off;
        off += 4;
        let n: number;
        if (typeof a === "string") n = enc.encodeInto(a, out.subarray(off)).written;
        else {
          out.set(a, off);
          n = a.length;
        }
        off += n;
        out[off++] = 0;
        const save = off;
        off = lenAt;
        u32(n);
        off = save;
      }
    }
  }
  return out.subarray(0, off);
}
