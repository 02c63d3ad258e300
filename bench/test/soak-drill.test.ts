// The KES stall drill of `npm run soak`: KES is stopped (SIGSTOP) for 30 s in the middle of a short
// run. Requests that need KES must fail with a KMS error within minio's KES deadline (20 s) instead
// of waiting for the whole stall, nothing else may fail, and once KES runs again requests succeed
// without restarting anything.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSoak } from './soak-run.js';

describe('npm run soak -- --drill kes-stall, against its own chain', () => {
  let dispose: (() => Promise<void>) | undefined;
  let code: number;
  let out: string;
  let report: {
    ok: boolean;
    failures: string[];
    ops: Record<string, { n: number; maxMs: number }>;
    expected: Record<string, number>;
    drill: { stallSeconds: number; kmsErrors: number; maxMsDuringStall: number; okAfter: number };
  };

  beforeAll(async () => {
    ({ code, out, report, dispose } = await runSoak<typeof report>('soak-drill-', [
      '--workers',
      '8',
      '--seconds',
      '42',
      '--idle',
      '0',
      '--drill',
      'kes-stall',
      '--stall-seconds',
      '30',
    ]));
  }, 300_000);

  afterAll(() => dispose?.());

  it('fails KMS-backed requests during the stall with kms:* 500s, none waiting for the whole stall', () => {
    expect({ code, failures: report?.failures }, out).toEqual({ code: 0, failures: [] });
    expect(report.drill.kmsErrors).toBeGreaterThan(0);
    // A HEAD has no body to name its code: its 500 reads as Unknown.
    for (const cls of Object.keys(report.expected)) {
      expect(cls).toMatch(/^5xx 500 (kms:(KeyGeneration|Decryption)Failed|Unknown) \(kes stopped\)$/);
    }
    // The deadline is 20 s; the stall lasts 30 s. Well under the stall, with room for a loaded machine.
    expect(report.drill.maxMsDuringStall).toBeLessThan(26_000);
    for (const [op, o] of Object.entries(report.ops)) expect(o.maxMs, op).toBeLessThan(26_000);
  });

  it('serves again once KES runs, without a restart', () => {
    expect(report.drill.okAfter).toBeGreaterThan(0);
    expect(report.ok).toBe(true);
  });
});
