// Runs `npm run soak` (bench/soak.mjs) as a child process with its own chain, for the soak tests:
// the exit code, what it printed and its JSON report, from a temp dir removed by `dispose`.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const soak = join(import.meta.dirname, '..', 'soak.mjs');

export interface SoakRun<R> {
  /** 0 when the soak passed; its exit code (or -1) otherwise. */
  code: number;
  /** Standard output, plus standard error when it failed. */
  out: string;
  /** The parsed `--json` report, or null when none was written. */
  report: R;
  dispose(): Promise<void>;
}

/** Runs the soak with `args` (besides `--json`), waiting at most 240 s. */
export async function runSoak<R>(prefix: string, args: string[]): Promise<SoakRun<R>> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const json = join(dir, 'report.json');
  let code = 0;
  let out: string;
  try {
    ({ stdout: out } = await run(process.execPath, [soak, ...args, '--json', json], { timeout: 240_000 }));
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    code = typeof e.code === 'number' ? e.code : -1;
    out = `${e.stdout ?? ''}\n${e.stderr ?? ''}`;
  }
  const report = JSON.parse(await readFile(json, 'utf8').catch(() => 'null')) as R;
  return { code, out, report, dispose: () => rm(dir, { recursive: true, force: true }) };
}
