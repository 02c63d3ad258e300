// Shared by the vault-*.test.ts files: run the built `vault` bin in a temp dir like a shell
// user would, and manage a `vault server` child process.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const binDir = join(import.meta.dirname, '..', '..', 'node_modules', '.bin');

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** A free loopback TCP port (the guide's 8200 may be taken by a parallel test). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface Shell {
  dir: string;
  env: Record<string, string>;
  /** Runs one shell line in `dir` with our bins first on PATH. */
  run(cmd: string, extraEnv?: Record<string, string>): { status: number; stdout: string; stderr: string };
}

export function shell(dir: string, env: Record<string, string>): Shell {
  const sh: Shell = {
    dir,
    env,
    run(cmd, extraEnv = {}) {
      const r = spawnSync('bash', ['-c', cmd], {
        cwd: dir,
        encoding: 'utf8',
        timeout: 90_000,
        env: { ...process.env, HOME: dir, PATH: `${binDir}:${process.env['PATH']}`, ...sh.env, ...extraEnv },
      });
      if (r.error) throw r.error;
      return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    },
  };
  return sh;
}

export interface ServerProcess {
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Starts `vault server …` and resolves once its banner says it is serving. */
export function startServer(dir: string, args: string[]): Promise<ServerProcess> {
  const child = spawn(join(binDir, 'vault'), ['server', ...args], {
    cwd: dir,
    env: { ...process.env, HOME: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const proc: ServerProcess = {
    child,
    output: () => out,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
  return new Promise((resolve, reject) => {
    const onData = () => {
      if (out.includes('==> Vault server started!')) {
        child.stdout!.off('data', onData);
        resolve(proc);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`vault server exited with ${code}:\n${out}`)));
  });
}
