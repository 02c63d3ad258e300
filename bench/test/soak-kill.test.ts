// The kill-minio drill of `npm run soak`: minio is killed with SIGKILL at random moments of a short
// run and restarted on its data. Only requests overlapping a kill may fail (network errors, resets,
// 503), and at the end every key reads back whole as its last acknowledged write (or as a write that
// got no answer) — no acknowledged write lost, nothing partial.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSoak } from './soak-run.js';

describe('npm run soak -- --drill kill-minio, against its own chain', () => {
  let dispose: (() => Promise<void>) | undefined;
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
    ({ code, out, report, dispose } = await runSoak<typeof report>('soak-kill-', [
      '--workers',
      '8',
      '--seconds',
      '20',
      '--idle',
      '0',
      '--drill',
      'kill-minio',
      '--kill-every',
      '6',
    ]));
  }, 300_000);

  afterAll(() => dispose?.());

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
