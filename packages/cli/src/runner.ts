// One command runner for the three bins: a table of commands (nested as `vault operator unseal`),
// help on `-h`/`-help`/`--help` (and `help` where the tool takes it), unknown commands, usage
// errors and failures, each printed and mapped to an exit code the way the tool's dialect says.
import { UsageError } from './errors.js';
import { asksForHelp } from './flags.js';

/** Where a command line writes; tests pass their own to collect the text. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: Io = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
};

/**
 * A command: a leaf with `run`, a group with `commands`, or both (the group runs when the next
 * argument names none of its commands). `run` resolves to the exit code; it throws UsageError for
 * a wrong command line and anything else for a failure.
 */
export interface Command<C> {
  /** One line for the parent's list of commands. */
  readonly summary?: string;
  /** The help text; a command without one shows its nearest ancestor's. */
  readonly usage?: string;
  /** Other names of the command (`kes key rm` is also `kes key delete`). */
  readonly aliases?: readonly string[];
  /** Left out of formatCommands' lists. */
  readonly hidden?: boolean;
  readonly commands?: CommandTable<C>;
  readonly run?: (args: string[], ctx: C) => Promise<number>;
}

export type CommandTable<C> = Readonly<Record<string, Command<C>>>;

/** How a tool prints help and errors and which exit codes it uses. */
export interface Dialect {
  /** Help that was asked for (`-h`, `--help`, `help`): the stream and the exit code. */
  readonly help: { readonly to: 'out' | 'err'; readonly exitCode: number };
  /** Whether the bare word `help` asks for help where a command name is expected. */
  readonly helpWord: boolean;
  /** The program run without arguments (its usage goes to stderr). */
  readonly noCommandExitCode: number;
  /** A group named without a sub-command (its usage goes to stderr). */
  readonly noSubcommandExitCode: number;
  /** A first argument that names no command. */
  readonly unknownCommandExitCode: number;
  /** A UsageError, or a group named with an unknown sub-command. */
  readonly usageExitCode: number;
  /**
   * What is printed for an unknown command, given its path (e.g. `key bogus`) and the usage of the
   * group it was looked up in.
   */
  unknownCommand(path: string, usage: string): string;
  /**
   * How a UsageError is printed, given the message, the usage of the command that threw it and the
   * command's path (e.g. `key create`).
   */
  usageError(message: string, usage: string, path: string): string;
}

export interface Program<C> {
  /** The top-level help text. */
  readonly usage: string;
  readonly commands: CommandTable<C>;
  readonly dialect: Dialect;
}

function lookup<C>(table: CommandTable<C>, name: string): Command<C> | undefined {
  if (Object.hasOwn(table, name)) return table[name];
  return Object.values(table).find((c) => c.aliases?.includes(name));
}

/**
 * Runs the command `args` name and resolves to the process exit code. Writes help, usage and
 * error text to `io`; a command's own output goes where the command writes it. Never rejects: an
 * error a command throws is printed as `Error: <message>` with exit code 1 (a UsageError as the
 * dialect says).
 */
export async function runProgram<C>(
  program: Program<C>,
  args: readonly string[],
  ctx: C,
  io: Io = processIo,
): Promise<number> {
  const { dialect } = program;
  const help = (usage: string): number => {
    io[dialect.help.to](usage);
    return dialect.help.exitCode;
  };
  let commands: CommandTable<C> | undefined = program.commands;
  let run: Command<C>['run'];
  let usage = program.usage;
  const path: string[] = [];
  let rest = args.slice();
  while (commands) {
    const [name] = rest;
    const next: Command<C> | undefined = name === undefined ? undefined : lookup(commands, name);
    if (!next) {
      if (name === '-h' || name === '-help' || name === '--help' || (dialect.helpWord && name === 'help'))
        return help(usage);
      if (run && name !== undefined) break;
      if (name === undefined) {
        if (run) break;
        io.err(usage);
        return path.length === 0 ? dialect.noCommandExitCode : dialect.noSubcommandExitCode;
      }
      io.err(dialect.unknownCommand([...path, name].join(' '), usage));
      return path.length === 0 ? dialect.unknownCommandExitCode : dialect.usageExitCode;
    }
    path.push(name!);
    rest = rest.slice(1);
    usage = next.usage ?? usage;
    commands = next.commands;
    run = next.run;
  }
  if (asksForHelp(rest)) return help(usage);
  if (!run) {
    io.err(usage);
    return dialect.usageExitCode;
  }
  try {
    return await run(rest, ctx);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(dialect.usageError(err.message, usage, path.join(' ')));
      return dialect.usageExitCode;
    }
    io.err(`Error: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

/**
 * The lines `    name    summary` of a command list, as Vault's help prints them: names in the
 * given order (default: sorted, hidden ones left out), padded to `width` (default: the longest name
 * plus 4), each line ending in a newline.
 */
export function formatCommands<C>(
  table: CommandTable<C>,
  options: { names?: readonly string[]; width?: number; indent?: number } = {},
): string {
  const names =
    options.names ??
    Object.keys(table)
      .filter((n) => !table[n]!.hidden)
      .sort();
  const width = options.width ?? Math.max(0, ...names.map((n) => n.length)) + 4;
  const indent = ' '.repeat(options.indent ?? 4);
  return names.map((n) => `${indent}${n.padEnd(width)}${table[n]?.summary ?? ''}\n`).join('');
}
