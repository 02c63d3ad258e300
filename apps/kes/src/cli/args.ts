import { type ParseArgsConfig, parseArgs } from 'node:util';

type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** A usage error: the CLI prints the message and the command's usage and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A failure after valid usage: `Error: …` on stderr, exit 1. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

// Go's flag package accepts `-config=x` as well as `--config=x`; node's parseArgs only the latter.
function goFlags(args: string[], options: NonNullable<ParseArgsConfig['options']>): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      out.push(...args.slice(i));
      break;
    }
    const m = /^-([A-Za-z][A-Za-z0-9-]+)(=.*)?$/.exec(a);
    if (m && Object.hasOwn(options, m[1]!)) out.push(`--${m[1]}${m[2] ?? ''}`);
    else out.push(a);
  }
  return out;
}

/** parseArgs with Go-style single-dash long flags; unknown flags are usage errors. */
export function parse<O extends ParseArgsOptionsConfig>(
  args: string[],
  options: O,
): ReturnType<typeof parseArgs<{ options: O; allowPositionals: true; strict: true }>> {
  try {
    return parseArgs({ args: goFlags(args, options), options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
