// Plan -> bytes, in the format native/plan.h documents.
// Runs once per container, interpreted (the JIT is still cold): one buffer and one DataView, no
// per-argument arrays, views or BigInts.
import { Op } from "./ops.ts";
import type { Plan, Step } from "./types.ts";

const enc = new TextEncoder();

export function encodePlan(plan: Plan): Uint8Array {
  return encode(plan.steps, 0);
}

/** What the helper reads: a u32 byte length, then the steps as a plan (native/plan.h). */
export function encodeFrame(steps: Step[]): Uint8Array {
  const out = encode(steps, 4);
  new DataView(out.buffer, out.byteOffset).setUint32(0, out.length - 4, true);
  return out;
}

function encode(steps: Step[], at: number): Uint8Array {
  // upper bound: header, 4 per step, 9 per number, 6 + 3 bytes per UTF-16 unit per string
  let max = at + 12;
  for (const step of steps) {
    max += 4;
    for (const a of step.args) max += typeof a === "number" || typeof a === "bigint" ? 9 : typeof a === "string" ? 6 + 3 * a.length : 6 + a.length;
  }
  const out = new Uint8Array(max);
  const dv = new DataView(out.buffer);
  out.set([0x42, 0x50, 0x4c, 0x4e], at); // "BPLN"
  dv.setUint32(at + 4, 2, true);
  dv.setUint32(at + 8, steps.length, true);
  let off = at + 12;
  for (const step of steps) {
    dv.setUint16(off, Op[step.op], true);
    dv.setUint16(off + 2, step.args.length, true);
    off += 4;
    for (const a of step.args) {
      if (typeof a === "number" && Number.isSafeInteger(a)) {
        // int64, little endian, two's complement: the low word, then the (signed) high word
        out[off] = 0;
        dv.setUint32(off + 1, a >>> 0, true);
        dv.setInt32(off + 5, Math.floor(a / 0x1_0000_0000), true);
        off += 9;
      } else if (typeof a === "number" || typeof a === "bigint") {
        out[off] = 0;
        dv.setBigInt64(off + 1, BigInt.asIntN(64, BigInt(a)), true);
        off += 9;
      } else {
        out[off] = 1;
        const n = typeof a === "string" ? enc.encodeInto(a, out.subarray(off + 5)).written : (out.set(a, off + 5), a.length);
        dv.setUint32(off + 1, n, true);
        out[off + 5 + n] = 0;
        off += 6 + n;
      }
    }
  }
  return out.subarray(0, off);
}
