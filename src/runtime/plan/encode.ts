// Plan -> bytes, in the format native/plan.h documents.
import { Op } from "./ops.ts";
import type { Plan } from "./types.ts";

const enc = new TextEncoder();

export function encodePlan(plan: Plan): Uint8Array {
  const parts: Uint8Array[] = [];
  let size = 0;
  const push = (b: Uint8Array) => {
    parts.push(b);
    size += b.length;
  };
  const header = new Uint8Array(12);
  header.set(enc.encode("BPLN"), 0);
  const hv = new DataView(header.buffer);
  hv.setUint32(4, 1, true);
  hv.setUint32(8, plan.steps.length, true);
  push(header);
  for (const step of plan.steps) {
    const head = new Uint8Array(4);
    const dv = new DataView(head.buffer);
    dv.setUint16(0, Op[step.op], true);
    dv.setUint16(2, step.args.length, true);
    push(head);
    for (const a of step.args) {
      if (typeof a === "number" || typeof a === "bigint") {
        const b = new Uint8Array(9);
        b[0] = 0;
        new DataView(b.buffer).setBigInt64(1, BigInt.asIntN(64, BigInt(a)), true);
        push(b);
      } else {
        const bytes = typeof a === "string" ? enc.encode(a) : a;
        const b = new Uint8Array(5 + bytes.length + 1);
        b[0] = 1;
        new DataView(b.buffer).setUint32(1, bytes.length, true);
        b.set(bytes, 5);
        b[5 + bytes.length] = 0;
        push(b);
      }
    }
  }
  const out = new Uint8Array(size);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
