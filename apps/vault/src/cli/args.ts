// Go-style flags as Vault's CLI takes them: -name, --name, -name=value, -name value (for value
// flags); booleans may be given as -name=true. `--` ends flags. Flags may follow arguments.

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface FlagSpec {
  bools?: readonly string[];
  values?: readonly string[];
  /** Value flags that may repeat (collected in order). */
  multi?: readonly string[];
  aliases?: Record<string, string>;
}

export interface Parsed {
  flags: Map<string, string | boolean>;
  multi: Map<string, string[]>;
  args: string[];
}

export function parseFlags(argv: readonly string[], spec: FlagSpec): Parsed {
  const bools = new Set(spec.bools ?? []);
  const values = new Set([...(spec.values ?? []), ...(spec.multi ?? [])]);
  const multiNames = new Set(spec.multi ?? []);
  const out: Parsed = { flags: new Map(), multi: new Map(), args: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      out.args.push(...argv.slice(i + 1));
      break;
    }
    if (a === '-' || !a.startsWith('-')) {
      out.args.push(a);
      continue;
    }
    const body = a.replace(/^--?/, '');
    const eq = body.indexOf('=');
    let name = eq === -1 ? body : body.slice(0, eq);
    name = spec.aliases?.[name] ?? name;
    if (bools.has(name)) {
      const v = eq === -1 ? 'true' : body.slice(eq + 1).toLowerCase();
      if (!['true', 'false', '1', '0', 't', 'f'].includes(v))
        throw new UsageError(`invalid boolean value "${v}" for -${name}`);
      out.flags.set(name, v === 'true' || v === '1' || v === 't');
    } else if (values.has(name)) {
      let v: string;
      if (eq !== -1) v = body.slice(eq + 1);
      else {
        const next = argv[i + 1];
        if (next === undefined) throw new UsageError(`flag needs an argument: -${name}`);
        v = next;
        i++;
      }
      if (multiNames.has(name)) out.multi.set(name, [...(out.multi.get(name) ?? []), v]);
      else out.flags.set(name, v);
    } else {
      throw new UsageError(`flag provided but not defined: -${name}`);
    }
  }
  return out;
}

export const flagStr = (p: Parsed, name: string, def = ''): string => {
  const v = p.flags.get(name);
  return typeof v === 'string' ? v : def;
};

export const flagBool = (p: Parsed, name: string): boolean => p.flags.get(name) === true;

export function flagInt(p: Parsed, name: string, def: number): number {
  const v = p.flags.get(name);
  if (typeof v !== 'string') return def;
  if (!/^-?\d+$/.test(v)) throw new UsageError(`invalid value "${v}" for flag -${name}: parse error`);
  return Number(v);
}
