import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { type BinProcess, runBin } from './bin.js';

function fakeProcess(argv: string[]) {
  const stderr = Object.assign(new EventEmitter(), {
    text: '',
    write(t: string) {
      stderr.text += t;
      return true;
    },
  });
  const proc: BinProcess & { stderr: typeof stderr } = {
    argv,
    stdout: new EventEmitter(),
    stderr,
    exitCode: undefined,
  };
  return proc;
}

describe('runBin', () => {
  it('passes the arguments after the script and sets the exit code main resolves to', async () => {
    const proc = fakeProcess(['node', 'bin/x.js', 'a', '-b']);
    let got: string[] = [];
    await runBin(async (args) => {
      got = args;
      return 7;
    }, proc);
    expect(got).toEqual(['a', '-b']);
    expect(proc.exitCode).toBe(7);
    expect(proc.stderr.text).toBe('');
  });

  it.each([
    [new Error('boom'), 'Error: boom\n'],
    ['plain', 'Error: plain\n'],
  ])('prints a rejection %j as `Error: …` and exits 1', async (reason, text) => {
    const proc = fakeProcess(['node', 'x']);
    await runBin(() => Promise.reject(reason), proc);
    expect(proc.exitCode).toBe(1);
    expect(proc.stderr.text).toBe(text);
  });

  it('ignores EPIPE on stdout and stderr and throws any other stream error', async () => {
    const proc = fakeProcess(['node', 'x']);
    await runBin(async () => 0, proc);
    const epipe = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
    expect(() => proc.stdout.emit('error', epipe)).not.toThrow();
    expect(() => proc.stderr.emit('error', epipe)).not.toThrow();
    const other = Object.assign(new Error('write EIO'), { code: 'EIO' });
    expect(() => proc.stdout.emit('error', other)).toThrow('write EIO');
    expect(() => proc.stderr.emit('error', other)).toThrow('write EIO');
  });
});
