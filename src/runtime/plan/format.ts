// A plan in words: one numbered line per step, as `berth-runtime plan` prints it.
import type { Plan } from "./types.ts";

export function formatPlan(plan: Plan): string {
  const width = String(plan.steps.length).length;
  const lines = plan.steps.map((s, i) => `${String(i).padStart(width)}  ${s.who.padEnd(6)} ${s.op.padEnd(16)} ${s.what}`);
  return `plan: ${plan.steps.length} steps (plan fd ${plan.planFd}, sync fd ${plan.syncFd})\n${lines.join("\n")}\n`;
}

/** JSON form for tools: steps with their raw arguments (byte args as strings or a size). */
export function planToJSON(plan: Plan): unknown {
  return plan.steps.map((s, i) => ({
    step: i,
    who: s.who,
    op: s.op,
    what: s.what,
    args: s.args.map((a) => (a instanceof Uint8Array ? `<${a.length} bytes>` : typeof a === "bigint" ? `0x${a.toString(16)}` : a)),
  }));
}
