// A small Docker/runc-style flag parser. Command files declare their flags and get a typed
// result; nothing else in berth parses argv.
//   --name value | --name=value | -n value | -nvalue | -abc (bool shorthands combined)
//   "--" ends flags; flags stop at the first positional when `interspersed` is false
//   (as `docker run IMAGE CMD...` needs).

export type FlagKind = "bool" | "string" | "list" | "int";

export interface FlagDef {
  name: string;
  short?: string;
  kind: FlagKind;
  /** other long names accepted (runc accepts -root and --root alike) */
  aliases?: string[];
}

export interface Parsed {
  flags: Map<string, string | boolean | string[]>;
  args: string[];
}

export class UsageError extends Error {
  override name = "UsageError";
}

export function parseFlags(argv: string[], defs: FlagDef[], interspersed = true): Parsed {
  const byLong = new Map<string, FlagDef>();
  const byShort = new Map<string, FlagDef>();
  for (const d of defs) {
    byLong.set(d.name, d);
    for (const a of d.aliases ?? []) byLong.set(a, d);
    if (d.short) byShort.set(d.short, d);
  }
  const flags = new Map<string, string | boolean | string[]>();
  const args: string[] = [];
  const set = (d: FlagDef, v: string | boolean) => {
    if (d.kind === "list") {
      const cur = (flags.get(d.name) as string[] | undefined) ?? [];
      cur.push(String(v));
      flags.set(d.name, cur);
    } else if (d.kind === "int") {
      if (!/^-?\d+$/.test(String(v))) throw new UsageError(`invalid value "${v}" for flag --${d.name}: not an integer`);
      flags.set(d.name, String(v));
    } else {
      flags.set(d.name, v);
    }
  };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      i++;
      break;
    }
    if (a.startsWith("--") || (a.startsWith("-") && a.length > 2 && byLong.has(a.slice(1).split("=")[0]!))) {
      const body = a.startsWith("--") ? a.slice(2) : a.slice(1);
      const eq = body.indexOf("=");
      const name = eq >= 0 ? body.slice(0, eq) : body;
      const d = byLong.get(name);
      if (!d) throw new UsageError(`unknown flag: --${name}`);
      if (d.kind === "bool") {
        if (eq >= 0) {
          const v = body.slice(eq + 1);
          if (v !== "true" && v !== "false") throw new UsageError(`invalid value "${v}" for flag --${name}: expected true or false`);
          set(d, v === "true");
        } else set(d, true);
      } else if (eq >= 0) set(d, body.slice(eq + 1));
      else {
        if (i + 1 >= argv.length) throw new UsageError(`flag needs an argument: --${name}`);
        set(d, argv[++i]!);
      }
      continue;
    }
    if (a.startsWith("-") && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const c = a[j]!;
        const d = byShort.get(c);
        if (!d) throw new UsageError(`unknown shorthand flag: '${c}' in ${a}`);
        if (d.kind === "bool") {
          set(d, true);
          continue;
        }
        const rest = a.slice(j + 1);
        if (rest.length > 0) set(d, rest.startsWith("=") ? rest.slice(1) : rest);
        else {
          if (i + 1 >= argv.length) throw new UsageError(`flag needs an argument: '${c}' in ${a}`);
          set(d, argv[++i]!);
        }
        break;
      }
      continue;
    }
    if (!interspersed) break;
    args.push(a);
  }
  for (; i < argv.length; i++) args.push(argv[i]!);
  return { flags, args };
}

export const str = (p: Parsed, n: string): string | undefined => p.flags.get(n) as string | undefined;
export const bool = (p: Parsed, n: string): boolean => p.flags.get(n) === true;
export const list = (p: Parsed, n: string): string[] => (p.flags.get(n) as string[] | undefined) ?? [];
export const int = (p: Parsed, n: string): number | undefined => {
  const v = p.flags.get(n);
  return v === undefined ? undefined : Number(v);
};

/** The one positional argument (a container id) that most runtime commands take. */
export function oneId(args: string[], cmd: string): string {
  if (args.length !== 1) throw new UsageError(`"${cmd}" requires exactly 1 argument (the container id), got ${args.length}`);
  return args[0]!;
}
