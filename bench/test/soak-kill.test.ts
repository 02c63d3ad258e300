// The kill-minio drill of `npm run soak`: minio is killed with SIGKILL at random moments of a short
// run and restarted on its data. Only requests overlapping a kill may fail (network errors, resets,
// 503), and at the end every key reads back whole as its last acknowledged write (or as a write that
// got no answer) — no acknowledged write lost, nothing partial.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const soak = join(import.meta.dirname, '..', 'soak.mjs');

describe('npm run soak -- --drill kill-minio, against its own chain', () => {
  let dir: string;
  let code: number;
  let out: string;
  let report: {
    ok: boolean;
    failures: string[];
    totals: { mismatches: number; readBack: number };
    expected: Record<string, number>;
    drill: { kills: number; expectedErrors: number; okAfter: number };
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'soak-kill-'));
    const json = join(dir, 'report.json');
    const args = [soak, '--workers', '8', '--seconds', '20', '--idle', '0', '--json', json];
    args.push('--drill', 'kill-minio', '--kill-every', '6');
    try {
      ({ stdout: out } = await run(process.execPath, args, { timeout: 240_000 }));
      code = 0;
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      code = e.code ?? -1;
      out = `${e.stdout ?? ''}\n${e.stderr ?? ''}`;
    }
    report = JSON.parse(await readFile(json, 'utf8').catch(() => 'null'));
  }, 300_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('kills minio at least once; only requests overlapping a kill fail, and only at the network', () => {
    expect({ code, failures: report?.failures }, out).toEqual({ code: 0, failures: [] });
    expect(report.drill.kills).toBeGreaterThan(0);
    for (const cls of Object.keys(report.expected)) {
      expect(cls).toMatch(/^(network \S+|connection reset|5xx 503 \S+) \(minio killed\)$/);
    }
  });

  it('reads every key back whole after the kills, and served requests after the last restart', () => {
    expect(report.totals.mismatches).toBe(0);
    expect(report.totals.readBack).toBe(8 * 10);
    expect(report.drill.okAfter).toBeGreaterThan(0);
  });
});
