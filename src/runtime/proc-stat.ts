// /proc/<pid>/stat as the runtime reads it: field 22 (start time, to tell a process from a reused
// pid) and whether it is a zombie. Pure, and free of node:fs (the quick paths in ops/quick-state.ts
// read the file through sys/ffi.ts, state.ts with node:fs).
export interface ProcStat {
  start: number;
  zombie: boolean;
}

export function parseProcStat(stat: string): ProcStat {
  // the command name (field 2) may contain spaces and parentheses: fields resume after the last ")"
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { start: Number(rest[19]), zombie: rest[0] === "Z" || rest[0] === "X" };
}

/** Whether /proc/<pid>/stat (undefined: no such process) shows the process that started at
 *  `start`, still running: not a zombie, not a reused pid. */
export function isLiveAs(stat: string | undefined, start: number): boolean {
  if (stat === undefined) return false;
  const p = parseProcStat(stat);
  return !p.zombie && p.start === start;
}
