// The three programs are on PATH after `npm install`: root node_modules/.bin holds vault, kes and
// minio, and each runs its compiled CLI.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { binDir, freePort, repoRoot } from './chain-support.js';

describe.each(['vault', 'kes', 'minio'])('%s bin', (name) => {
  it('is linked into node_modules/.bin and runs', () => {
    const bin = join(binDir, name);
    expect(existsSync(bin)).toBe(true);
    const run = spawnSync(bin, [], { encoding: 'utf8', timeout: 20_000 });
    expect(run.error).toBeUndefined();
    expect(run.status).toBe(2);
    expect(run.stderr.toLowerCase()).toContain('usage');
  });
});

describe('a server whose log reader goes away', () => {
  it('keeps serving after its stdout pipe closes (`vault server -dev | head -1`)', async () => {
    const port = await freePort();
    const child = spawn(join(binDir, 'vault'), ['server', '-dev'], {
      env: { ...process.env, VAULT_DEV_LISTEN_ADDRESS: `127.0.0.1:${port}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      // Close our end after the first line, as `head -1` does; the banner still has lines to write.
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      child.stdout.destroy();
      child.stderr.destroy();
      let health = 0;
      for (let i = 0; i < 100 && health !== 200; i++) {
        await new Promise((r) => setTimeout(r, 100));
        health = await fetch(`http://127.0.0.1:${port}/v1/sys/health`).then(
          (res) => res.status,
          () => 0,
        );
      }
      expect(health).toBe(200);
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill('SIGTERM');
    }
  });
});

// Every command and subcommand of the three bins, as an operator types them. The test below also
// reads each group's own help and fails when it lists a command this table lacks.
const commandLines: Record<Bin, string[]> = {
  vault: [
    ...['read', 'write', 'delete', 'list', 'login', 'server', 'status'],
    ...['audit', 'audit disable', 'audit enable', 'audit list'],
    ...['auth', 'auth disable', 'auth enable', 'auth list'],
    ...['kv', 'kv delete', 'kv get', 'kv list', 'kv put'],
    ...['operator', 'operator init', 'operator key-status', 'operator members', 'operator migrate'],
    ...['operator rotate', 'operator seal', 'operator step-down', 'operator unseal'],
    ...['policy', 'policy delete', 'policy list', 'policy read', 'policy write'],
    ...['secrets', 'secrets disable', 'secrets enable', 'secrets list'],
    ...['token', 'token create', 'token lookup', 'token renew', 'token revoke'],
  ],
  kes: [
    'server',
    ...[
      'key',
      'key create',
      'key import',
      'key info',
      'key ls',
      'key rm',
      'key dek',
      'key encrypt',
      'key decrypt',
    ],
    ...['identity', 'identity new', 'identity of', 'identity ls', 'identity info'],
    ...['policy', 'policy ls', 'policy info', 'policy show'],
    ...['tool', 'tool identity', 'tool identity new', 'tool identity of'],
    'status',
    'log',
  ],
  minio: ['server', 'kms', 'kms status', 'kms key', 'kms key status', 'kms key create'],
};

type Bin = 'vault' | 'kes' | 'minio';

/** Where each tool prints help that was asked for: Vault and KES on stderr, MinIO on stdout. */
const helpStream: Record<Bin, 'stdout' | 'stderr'> = { vault: 'stderr', kes: 'stderr', minio: 'stdout' };

/** The names a group's help lists under its commands heading (`Commands:`, `Subcommands:`, `COMMANDS:`…). */
function listedCommands(help: string): string[] {
  const names: string[] = [];
  let inList = false;
  for (const line of help.split('\n')) {
    if (/^\S/.test(line) && /commands:$/i.test(line)) inList = true;
    else if (/^\S/.test(line)) inList = false;
    else if (inList) {
      const name = /^\s+([a-z][a-z-]*)(\s|$)/.exec(line)?.[1];
      if (name) names.push(name);
    }
  }
  return names;
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function runBin(bin: Bin, line: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(join(binDir, bin), line.split(' ').filter(Boolean), { timeout: 30_000 }, (err, stdout, stderr) =>
      resolve({ status: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr }),
    );
  });
}

/** Runs every command line, a few at a time (each is a node process). */
async function runAll(bin: Bin, lines: string[]): Promise<Map<string, Run>> {
  const results = new Map<string, Run>();
  const queue = [...lines];
  const worker = async () => {
    for (let line = queue.shift(); line !== undefined; line = queue.shift())
      results.set(line, await runBin(bin, line));
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return results;
}

describe.each(['vault', 'kes', 'minio'] as const)('%s help, version and unknown commands', (bin) => {
  it('-h and --help on every command and subcommand print its usage and exit 0', {
    timeout: 180_000,
  }, async () => {
    const lines = ['', ...commandLines[bin]];
    const runs = await runAll(
      bin,
      lines.flatMap((line) => [`${line} -h`, `${line} --help`]),
    );
    const wrong: string[] = [];
    for (const line of lines) {
      for (const flag of ['-h', '--help']) {
        const r = runs.get(`${line} ${flag}`)!;
        const help = r[helpStream[bin]];
        // Each command's help names the command: `Usage: vault kv get`, `kes key ls`, `minio kms key status`.
        const names = line === '' || help.includes(`${bin} ${line}`);
        if (r.status !== 0 || !/usage/i.test(help) || !names)
          wrong.push(`${bin} ${line} ${flag} → ${r.status}: ${(r.stdout + r.stderr).slice(0, 80)}`);
      }
      // A group's help lists its commands: each must be in the table above.
      const listed = listedCommands(runs.get(`${line} -h`)![helpStream[bin]]);
      for (const name of listed) {
        const full = line === '' ? name : `${line} ${name}`;
        if (!commandLines[bin].includes(full))
          wrong.push(`${bin} ${full}: listed in help, missing from the table`);
      }
    }
    expect(wrong).toEqual([]);
  });

  const version: Record<Bin, [string[], RegExp]> = {
    vault: [['version', '--version', '-v'], /^Vault v\d+\.\d+\.\d+, built /],
    kes: [['--version', '-v'], new RegExp(`^Version +${packageVersion('kes')}\\nRuntime +node `)],
    minio: [
      ['--version', '-v', 'version'],
      new RegExp(`^minio version ${packageVersion('minio')} \\(kms-chain\\)\\n`),
    ],
  };

  it(`answers a version query (${version[bin][0].join(', ')}) on stdout with status 0`, async () => {
    const [words, text] = version[bin];
    for (const word of words) {
      const r = await runBin(bin, word);
      expect({ word, status: r.status, stderr: r.stderr }).toEqual({ word, status: 0, stderr: '' });
      expect(r.stdout).toMatch(text);
    }
  });

  // The real tools' exit codes and wording: Vault 127 at the top (1 in a group) with the usage;
  // KES 1 and one `Error: … See 'kes … --help'` line; MinIO 1 and `‘x’ is not a minio sub-command.`
  const unknown: Record<Bin, [string, number, string][]> = {
    vault: [
      ['frobnicate', 127, 'Usage: vault <command> [args]'],
      ['operator frobnicate', 1, 'Usage: vault operator <subcommand>'],
      ['status -frobnicate', 1, 'flag provided but not defined: -frobnicate'],
    ],
    kes: [
      ['frobnicate', 1, `Error: "frobnicate" is not a kes command. See 'kes --help'\n`],
      ['version', 1, `Error: "version" is not a kes command. See 'kes --help'\n`],
      ['key frobnicate', 1, `Error: "frobnicate" is not a key command. See 'kes key --help'\n`],
      ['key ls --frobnicate', 1, "Error: unknown flag: --frobnicate. See 'kes key ls --help'\n"],
    ],
    minio: [
      ['frobnicate', 1, '\u2018frobnicate\u2019 is not a minio sub-command. See \u2018minio --help\u2019.\n'],
      ['server --frobnicate x', 1, 'Incorrect Usage: flag provided but not defined: -frobnicate\n'],
    ],
  };

  it.each(unknown[bin])(`${bin} %s exits %i as the real tool does`, async (line, status, text) => {
    const r = await runBin(bin, line);
    expect(r.status).toBe(status);
    expect(r.stderr).toContain(text);
    expect(r.stdout).toBe('');
  });
});

function packageVersion(bin: Bin): string {
  return (
    JSON.parse(readFileSync(join(repoRoot, 'apps', bin, 'package.json'), 'utf8')) as { version: string }
  ).version;
}
