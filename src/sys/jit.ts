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

/** What restartWithoutFtl executes, or undefined when it should not. */
export function ftlOffExec(argv: string[], execPath: string, env: Record<string, string | undefined>): { file: string; args: string[]; env: Record<string, string | undefined> } | undefined {
  if (env.BUN_JSC_useFTLJIT !== undefined) return undefined;
  // a compiled executable's argv[1] is its embedded entry point, not an argument it was given
  const script = argv[1]?.startsWith("/$bunfs/") ? [] : argv.slice(1, 2);
  return { file: execPath, args: [execPath, ...script, ...argv.slice(2)], env: { ...env, BUN_JSC_useFTLJIT: "0" } };
}

/**
 * Re-execute this command with JavaScriptCore's top tier (FTL) off, once, before it starts its
 * work. For a command that runs its hot loops for well under a second (a pull: inflate, tar
 * parsing, unpacking on two threads), FTL's compilations cost more CPU than their code gives
 * back: 0.545 → 0.513 s per pull here, the exec included (bench/RESULTS.md). JSC reads the option
 * only at start-up, hence the exec (~4 ms). Nothing happens when the variable is set already (by the
 * user, or by the first exec), or off Bun.
 */
export function restartWithoutFtl(): void {
  const execve = (process as { execve?: (file: string, args: string[], env: Record<string, string | undefined>) => never }).execve;
  if (typeof Bun === "undefined" || !execve) return;
  const e = ftlOffExec(process.argv, process.execPath, process.env);
  try {
    if (e) execve(e.file, e.args, e.env);
  } catch {
    // not re-executable (the binary replaced or gone): the pull runs with FTL on
  }
}
