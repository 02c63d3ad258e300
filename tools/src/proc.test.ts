// The launcher with real child processes (this node running small scripts).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, isListening } from './ports.js';
import { killAll, startProc } from './proc.js';

const node = (script: string, opts = {}) => startProc(process.execPath, ['-e', script], opts);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tools-proc-'));
});
afterAll(async () => {
  await killAll();
  await rm(dir, { recursive: true, force: true });
});

describe('startProc', () => {
  it('captures stdout and stderr, resolves waitFor with the match and reports the exit code', async () => {
    const p = node('console.log("ready on 4242"); console.error("warn"); process.exitCode = 3');
    const [, port] = await p.waitFor(/ready on (\d+)/);
    expect(port).toBe('4242');
    expect(await p.exited).toBe(3);
    expect(p.out()).toContain('warn');
    expect(p.isRunning()).toBe(false);
  });

  it('waitFor rejects with the output when the process exits first, and on timeout', async () => {
    await expect(node('console.log("bye")').waitFor(/never/)).rejects.toThrow(/exited before .*\n.*bye/s);
    const slow = node('setTimeout(() => {}, 60_000)');
    await expect(slow.waitFor(/never/, 200)).rejects.toThrow(/no \/never\/ within 200 ms/);
    expect(await slow.stop()).toBe('SIGTERM');
  });

  it('with a log file the child writes it and out() reads back only this run', async () => {
    const log = join(dir, 'x.log');
    await node('console.log("first")', { log }).exited;
    const p = node('console.log("second")', { log });
    await p.waitFor(/second/, 5_000);
    expect(p.out()).not.toContain('first');
    expect(await readFile(log, 'utf8')).toBe('first\nsecond\n');
  });

  it('keep holds only the tail of the output', async () => {
    const p = node('process.stdout.write("a".repeat(5000) + "END")', { keep: 100 });
    await p.exited;
    expect(p.out()).toHaveLength(100);
    expect(p.out().endsWith('END')).toBe(true);
  });

  it('stop with a grace period SIGKILLs a child that ignores SIGTERM', async () => {
    const p = node('process.on("SIGTERM", () => {}); console.log("up"); setInterval(() => {}, 1000)');
    await p.waitFor(/up/);
    expect(await p.stop('SIGTERM', 300)).toBe('SIGKILL');
  });

  it('a command that cannot start rejects waitFor and resolves exited with -1', async () => {
    const p = startProc(join(dir, 'no-such-bin'), []);
    expect(await p.exited).toBe(-1);
    // A pattern the spawn error in the captured output (which names the random temp path) cannot match.
    await expect(p.waitFor(/^ready$/m)).rejects.toThrow(/cannot start/);
  });

  it('waitForPort resolves once the child listens', async () => {
    const port = await freePort();
    const p = node(`setTimeout(() => require('node:net').createServer().listen(${port}, '127.0.0.1'), 300)`);
    await p.waitForPort(port, 5_000);
    expect(await isListening(port)).toBe(true);
    await p.stop();
    expect(await isListening(port)).toBe(false);
  });
});
