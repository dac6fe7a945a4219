// The compiled CLIs start with JavaScriptCore's tier-up thresholds scaled up (scripts/build.sh,
// --compile-jit-policy): almost every command is run-once code that the JIT would compile for
// nothing (~0.6 ms per command here). Code that loops over much data (tar streams, logs, a
// resolver serving queries) asks for the normal policy back before it starts.
let normal = false;

export function normalJit(): void {
  if (normal) return;
  normal = true;
  const bun = (globalThis as { Bun?: { unsafe?: { setJITPolicy?: (scale: number) => void } } }).Bun;
  bun?.unsafe?.setJITPolicy?.(1);
}
