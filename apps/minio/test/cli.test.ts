// The built `minio` bin: usage and configuration errors, HTTPS from --certs-dir, clean exit on SIGTERM.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devCertsDir } from './helpers.js';

const bin = join(import.meta.dirname, '..', 'bin', 'minio.js');
const built = existsSync(join(import.meta.dirname, '..', 'dist', 'cli.js'));

function run(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    timeout: 20_000,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
  });
}

describe.skipIf(!built)('minio bin', () => {
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'minio-cli-'));
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it.each([
    [[], 2, 'USAGE'],
    [['frobnicate'], 1, '\u2018frobnicate\u2019 is not a minio sub-command. See \u2018minio --help\u2019.\n'],
    [['server'], 1, 'data directory'],
    [
      ['server', '--bogus', 'x'],
      1,
      'Incorrect Usage: flag provided but not defined: -bogus\n\nNAME:\n  minio server',
    ],
    [['server', 'x', '--address'], 1, 'Incorrect Usage: flag needs an argument: -address\n\n'],
    [
      ['server', 'x', 'y'],
      1,
      'Incorrect Usage: expected exactly one data directory\n\nNAME:\n  minio server',
    ],
    [['server', '--address', 'nope', 'x'], 1, '--address'],
    [['server', 'x', '-address=nope'], 1, '--address'],
    [['kms'], 2, 'minio kms key create [FLAGS] KEY'],
    [
      ['kms', 'bogus'],
      1,
      '\u2018bogus\u2019 is not a minio kms sub-command. See \u2018minio kms --help\u2019.\n',
    ],
    [['kms', 'key', 'create'], 1, 'Incorrect Usage: missing KEY\n\n'],
    [['kms', 'status', 'extra'], 1, 'Incorrect Usage: too many arguments: extra\n\n'],
  ])('%j exits %i', (args, status, text) => {
    const r = run(args);
    expect(r.status).toBe(status);
    expect(r.stderr).toContain(text);
  });

  it.each([
    [['server', '--help'], '--certs-dir value'],
    [['server', 'x', '-h'], '--certs-dir value'],
    [['kms', 'key', 'status', '--help'], 'minio kms key status [FLAGS] [KEY]'],
    [['help'], 'minio COMMAND [FLAGS] [ARGS...]'],
    [['--help'], 'minio COMMAND [FLAGS] [ARGS...]'],
  ])('prints help for %j on stdout with status 0', (args, text) => {
    const r = run(args);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(text);
    expect(r.stderr).toBe('');
  });

  it.each([
    [{ MINIO_ROOT_USER: 'admin' }, 'MINIO_ROOT_PASSWORD'],
    [{ MINIO_ACCESS_KEY: 'minio', MINIO_SECRET_KEY: 'short' }, 'MINIO_SECRET_KEY'],
  ])('refuses bad credentials %o', (env, name) => {
    const r = run(['server', join(work, 'data'), '--address', '127.0.0.1:0', '--certs-dir', work], env);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(name);
  });

  it('serves HTTPS with public.crt/private.key and exits 0 on SIGTERM', async () => {
    const { certs, ca } = await devCertsDir(work);
    const child = spawn(
      process.execPath,
      [bin, 'server', join(work, 'data'), '--address', '127.0.0.1:0', '--certs-dir', certs],
      {
        env: { PATH: process.env.PATH, MINIO_ACCESS_KEY: 'minio', MINIO_SECRET_KEY: 'minio123' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const endpoint = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /API: (https:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
    });
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${endpoint}/minio/health/live`, { ca }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(200);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
