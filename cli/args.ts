/** A small argv parser: flags with values, booleans, `--` ending flags. */
import { ValidationError } from '../core/errors.ts';

export interface ParsedArgs {
  readonly positional: string[];
  readonly flags: Map<string, string | true>;
  /** everything after `--` */
  readonly rest: string[];
}

export interface FlagSpec {
  /** flags that take a value, with their aliases: e.g. ['app', 'a'] */
  readonly values: ReadonlyArray<readonly string[]>;
  readonly booleans: ReadonlyArray<readonly string[]>;
}

export function parseArgs(argv: readonly string[], spec: FlagSpec): ParsedArgs {
  const canonical = new Map<string, { name: string; value: boolean }>();
  for (const names of spec.values) for (const n of names) canonical.set(n, { name: names[0]!, value: true });
  for (const names of spec.booleans)
    for (const n of names) canonical.set(n, { name: names[0]!, value: false });
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  let rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      rest = argv.slice(i + 1) as string[];
      break;
    }
    const m = /^--?([A-Za-z][\w-]*)(?:=(.*))?$/.exec(arg);
    if (!m || /^-\d/.test(arg)) {
      positional.push(arg);
      continue;
    }
    const def = canonical.get(m[1]!);
    if (!def) throw new ValidationError(`unknown flag ${arg}: see \`wharf help\``);
    if (def.value) {
      const value = m[2] ?? argv[++i];
      if (value === undefined) throw new ValidationError(`flag ${arg} needs a value`);
      flags.set(def.name, value);
    } else flags.set(def.name, true);
  }
  return { positional, flags, rest };
}
