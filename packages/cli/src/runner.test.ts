import { describe, expect, it } from 'vitest';
import { kesDialect, minioDialect, vaultDialect } from './dialects.js';
import { CliError, UsageError } from './errors.js';
import { parseFlags } from './flags.js';
import {
  type CommandTable,
  type Dialect,
  formatCommands,
  type Io,
  type Program,
  runProgram,
} from './runner.js';

interface Captured extends Io {
  stdout: string;
  stderr: string;
  calls: string[];
}

/** A leaf that records `name` and the arguments it was given and exits `code`. */
const records =
  (name: string, code = 0) =>
  async (args: string[], io: Captured): Promise<number> => {
    io.calls.push([name, ...args].join(' '));
    return code;
  };

function capture(): Captured {
  const c: Captured = {
    stdout: '',
    stderr: '',
    calls: [],
    out: (t) => {
      c.stdout += t;
    },
    err: (t) => {
      c.stderr += t;
    },
  };
  return c;
}

// A table like the bins': a group with a usage of its own, nested groups, aliases, a hidden
// command, and leaves that echo their arguments or fail in each way.
const commands: CommandTable<Captured> = {
  echo: {
    summary: 'Print the arguments',
    run: async (args, io) => {
      const { values, positionals } = parseFlags(args, { upper: { type: 'boolean' } });
      io.calls.push(`echo ${positionals.join(',')}${values.upper ? ' upper' : ''}`);
      return 0;
    },
  },
  key: {
    summary: 'Manage keys',
    usage: 'KEY USAGE\n',
    commands: {
      create: {
        summary: 'Create a key',
        run: async (args, io) => {
          if (args.length === 0) throw new UsageError('missing key name');
          io.calls.push(`create ${args.join(',')}`);
          return 0;
        },
      },
      rm: { summary: 'Remove a key', aliases: ['delete'], run: records('rm') },
      status: { summary: 'Key status', usage: 'STATUS USAGE\n', run: async () => 3 },
    },
  },
  fail: { summary: 'Fail', run: async () => Promise.reject(new CliError('server said no')) },
  crash: { summary: 'Crash', run: async () => Promise.reject(new TypeError('x is undefined')) },
  version: {
    hidden: true,
    aliases: ['-v', '--version'],
    run: async (_a, io) => {
      io.out('v1\n');
      return 0;
    },
  },
};

// The three tools' dialects, each pinned by the table below.
const dialects: Record<string, Dialect> = { vault: vaultDialect, kes: kesDialect, minio: minioDialect };

const program = (dialect: Dialect): Program<Captured> => ({ usage: 'TOP USAGE\n', commands, dialect });

async function run(dialect: string, line: string) {
  const io = capture();
  const code = await runProgram(program(dialects[dialect]!), line === '' ? [] : line.split(' '), io, io);
  return { code, stdout: io.stdout, stderr: io.stderr, calls: io.calls };
}

describe('runProgram', () => {
  it.each([
    // dialect, command line, exit code, stdout, stderr
    ['vault', '', 2, '', 'TOP USAGE\n'],
    ['vault', '-h', 0, '', 'TOP USAGE\n'],
    ['vault', '--help', 0, '', 'TOP USAGE\n'],
    ['vault', '-help', 0, '', 'TOP USAGE\n'],
    ['vault', 'help', 127, '', 'TOP USAGE\n'],
    ['vault', 'nosuch', 127, '', 'TOP USAGE\n'],
    ['vault', 'key', 1, '', 'KEY USAGE\n'],
    ['vault', 'key nosuch', 1, '', 'KEY USAGE\n'],
    ['vault', 'key -h', 0, '', 'KEY USAGE\n'],
    ['vault', 'key create -h', 0, '', 'KEY USAGE\n'],
    ['vault', 'key status x --help', 0, '', 'STATUS USAGE\n'],
    ['vault', 'key create', 1, '', 'missing key name\n'],
    ['vault', 'echo -bogus', 1, '', 'flag provided but not defined: -bogus\n'],
    ['vault', 'fail', 1, '', 'Error: server said no\n'],
    ['vault', 'crash', 1, '', 'Error: x is undefined\n'],
    ['vault', '-v', 0, 'v1\n', ''],
    ['kes', '', 2, '', 'TOP USAGE\n'],
    ['kes', 'help', 0, '', 'TOP USAGE\n'],
    ['kes', '--help', 0, '', 'TOP USAGE\n'],
    ['kes', 'frobnicate', 1, '', `Error: "frobnicate" is not a kes command. See 'kes --help'\n`],
    ['kes', 'key', 2, '', 'KEY USAGE\n'],
    ['kes', 'key help', 0, '', 'KEY USAGE\n'],
    ['kes', 'key create -h', 0, '', 'KEY USAGE\n'],
    ['kes', 'key bogus', 1, '', `Error: "bogus" is not a key command. See 'kes key --help'\n`],
    ['kes', 'key create', 1, '', "Error: missing key name. See 'kes key create --help'\n"],
    ['kes', 'echo --bogus', 1, '', "Error: unknown flag: --bogus. See 'kes echo --help'\n"],
    ['kes', 'echo -x', 1, '', "Error: unknown shorthand flag: 'x' in -x. See 'kes echo --help'\n"],
    ['kes', 'fail', 1, '', 'Error: server said no\n'],
    ['minio', '', 2, '', 'TOP USAGE\n'],
    ['minio', 'help', 0, 'TOP USAGE\n', ''],
    ['minio', '-h', 0, 'TOP USAGE\n', ''],
    [
      'minio',
      'frobnicate',
      1,
      '',
      '\u2018frobnicate\u2019 is not a minio sub-command. See \u2018minio --help\u2019.\n',
    ],
    [
      'minio',
      'key bogus',
      1,
      '',
      '\u2018bogus\u2019 is not a minio key sub-command. See \u2018minio key --help\u2019.\n',
    ],
    ['minio', 'key', 2, '', 'KEY USAGE\n'],
    ['minio', 'key create --help', 0, 'KEY USAGE\n', ''],
    ['minio', 'key create', 1, '', 'Incorrect Usage: missing key name\n\nKEY USAGE\n'],
    [
      'minio',
      'echo --bogus x',
      1,
      '',
      'Incorrect Usage: flag provided but not defined: -bogus\n\nTOP USAGE\n',
    ],
  ])('%s %j → %d', async (dialect, line, code, stdout, stderr) => {
    const r = await run(dialect, line);
    expect(r).toMatchObject({ code, stdout, stderr });
    if (code !== 0 || stdout === '') expect(r.calls).toEqual([]);
  });

  it.each([
    ['echo a -upper b', 0, ['echo a,b upper']],
    ['echo -- -upper', 0, ['echo -upper']],
    ['key create k1 k2', 0, ['create k1,k2']],
    ['key delete', 0, ['rm']],
    ['key rm', 0, ['rm']],
    ['key status', 3, []],
  ])('%j runs the command with the rest of the line', async (line, code, calls) => {
    for (const dialect of Object.keys(dialects)) {
      const r = await run(dialect, line);
      expect(r).toMatchObject({ code, stdout: '', stderr: '', calls });
    }
  });

  it('runs a group that has its own run when no sub-command is named', async () => {
    const io = capture();
    const table: CommandTable<Captured> = {
      login: {
        run: records('login'),
        commands: { status: { run: records('status') } },
      },
    };
    const p = { usage: 'U\n', commands: table, dialect: dialects.vault! };
    expect(await runProgram(p, ['login'], io, io)).toBe(0);
    expect(await runProgram(p, ['login', 'tok'], io, io)).toBe(0);
    expect(await runProgram(p, ['login', 'status'], io, io)).toBe(0);
    expect(io.calls).toEqual(['login', 'login tok', 'status']);
  });
});

describe('formatCommands', () => {
  it('lists names sorted and padded to the longest plus 4, hidden ones left out', () => {
    expect(formatCommands(commands.key!.commands!)).toBe(
      '    create    Create a key\n    rm        Remove a key\n    status    Key status\n',
    );
    expect(formatCommands(commands)).toBe(
      '    crash    Crash\n    echo     Print the arguments\n    fail     Fail\n    key      Manage keys\n',
    );
  });

  it('keeps a given order and width', () => {
    expect(formatCommands(commands, { names: ['key', 'echo'], width: 12 })).toBe(
      '    key         Manage keys\n    echo        Print the arguments\n',
    );
  });
});
