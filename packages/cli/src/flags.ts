// Flags as Go's `flag` package reads them, which is what the Vault, KES and MinIO commands take:
// `-name`, `--name`, `-name=value`, `-name value` for value flags, `-name=false` for booleans, `--`
// ends the flags and a lone `-` is an argument. Unlike Go's package, flags may also follow the
// positional arguments: Vault's commands, KES's pflag and MinIO's urfave/cli all allow that.
import { UsageError } from './errors.js';

/** One flag of a command. */
export interface FlagSpec {
  /** `boolean`: present → true, `-name=false` to unset; `string`: takes a value. */
  readonly type: 'boolean' | 'string';
  /** A string flag that may repeat; its value is every occurrence in order. */
  readonly multiple?: boolean;
  /** Other names of the same flag: a one-letter short form (`k` for `-k`) or an older spelling. */
  readonly aliases?: readonly string[];
}

/** A command's flags by their canonical name. */
export type FlagTable = Readonly<Record<string, FlagSpec>>;

type ValueOf<S extends FlagSpec> = S['type'] extends 'boolean'
  ? boolean
  : S['multiple'] extends true
    ? string[]
    : string;

/** The parsed values: a flag that was not given is absent (undefined). */
export type FlagValues<T extends FlagTable> = { -readonly [K in keyof T]?: ValueOf<T[K]> };

export interface ParsedArgs<T extends FlagTable> {
  values: FlagValues<T>;
  positionals: string[];
}

// strconv.ParseBool's accepted spellings.
const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** The arguments that ask for help (`-h`, `-help`, `--help`) before any `--`. */
export function asksForHelp(args: readonly string[]): boolean {
  for (const a of args) {
    if (a === '--') return false;
    if (a === '-h' || a === '-help' || a === '--help') return true;
  }
  return false;
}

/**
 * Splits `args` into flag values and positional arguments. A later occurrence of a single-valued
 * flag wins, as in Go. Throws UsageError with Go's wording (`flag provided but not defined: -x`,
 * `flag needs an argument: -x`, `invalid boolean value "v" for -x: parse error`, `bad flag syntax:
 * ---x`) naming the flag as it was typed, without its dashes doubled.
 */
export function parseFlags<T extends FlagTable>(args: readonly string[], flags: T): ParsedArgs<T> {
  const byName = new Map<string, [string, FlagSpec]>();
  for (const [name, spec] of Object.entries(flags)) {
    byName.set(name, [name, spec]);
    for (const alias of spec.aliases ?? []) byName.set(alias, [name, spec]);
  }
  const values: Record<string, string | boolean | string[]> = {};
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (arg.length < 2 || arg[0] !== '-') {
      positionals.push(arg);
      continue;
    }
    const body = arg.slice(arg[1] === '-' ? 2 : 1);
    if (body === '' || body[0] === '-' || body[0] === '=') throw new UsageError(`bad flag syntax: ${arg}`);
    const eq = body.indexOf('=');
    const typed = eq === -1 ? body : body.slice(0, eq);
    const found = byName.get(typed);
    if (!found) throw new UsageError(`flag provided but not defined: -${typed}`);
    const [name, spec] = found;
    if (spec.type === 'boolean') {
      if (eq === -1) values[name] = true;
      else {
        const text = body.slice(eq + 1);
        if (TRUE.has(text)) values[name] = true;
        else if (FALSE.has(text)) values[name] = false;
        else throw new UsageError(`invalid boolean value "${text}" for -${typed}: parse error`);
      }
      continue;
    }
    let value: string;
    if (eq !== -1) value = body.slice(eq + 1);
    else if (i + 1 < args.length) value = args[++i]!;
    else throw new UsageError(`flag needs an argument: -${typed}`);
    values[name] = spec.multiple ? [...((values[name] as string[] | undefined) ?? []), value] : value;
  }
  return { values: values as FlagValues<T>, positionals };
}

/**
 * A decimal integer flag value as Go's `flag.Int` reads it; `fallback` when the flag was not given.
 * Throws UsageError `invalid value "v" for flag -name: parse error` otherwise.
 */
export function intFlag(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^[+-]?\d+$/.test(value))
    throw new UsageError(`invalid value "${value}" for flag -${name}: parse error`);
  return Number(value);
}
