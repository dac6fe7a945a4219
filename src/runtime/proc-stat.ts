// /proc/<pid>/stat as the runtime reads it: field 22 (start time, to tell a process from a reused
// pid) and whether it is a zombie. Pure, and free of node:fs (ops/start-quick.ts reads the file
// with Bun's reader, state.ts with node:fs).
export interface ProcStat {
  start: number;
  zombie: boolean;
}

export function parseProcStat(stat: string): ProcStat {
  // the command name (field 2) may contain spaces and parentheses: fields resume after the last ")"
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { start: Number(rest[19]), zombie: rest[0] === "Z" || rest[0] === "X" };
}
