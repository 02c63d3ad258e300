// Group commit: every caller is covered by an fsync that started after its call; concurrent
// callers share fsyncs; a failed fsync fails exactly the callers that waited for it.
import { describe, expect, it } from 'vitest';
import { DirSyncGroup } from './dir-sync.js';

/** A syncDir whose fsyncs finish when the test says so; records when each started. */
function manualSync() {
  const started: Array<{ dir: string; at: number; finish: (err?: Error) => void }> = [];
  let clock = 0;
  const syncDir = (dir: string): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      started.push({ dir, at: clock++, finish: (err) => (err ? reject(err) : resolve()) });
    });
  return { started, syncDir, tick: () => clock++ };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('DirSyncGroup', () => {
  it('starts up to two fsyncs at once; every later caller joins one queued fsync', async () => {
    const m = manualSync();
    const g = new DirSyncGroup(m.syncDir);
    const done: number[] = [];
    const calls = Array.from({ length: 10 }, (_, i) => g.sync('/d').then(() => done.push(i)));
    await settle();
    expect(m.started).toHaveLength(2);
    m.started[0]!.finish();
    await settle();
    // The first caller is covered by the fsync that started after it; the queued one starts now.
    expect(done).toEqual([0]);
    expect(m.started).toHaveLength(3);
    m.started[1]!.finish();
    m.started[2]!.finish();
    await Promise.all(calls);
    expect(done.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(m.started).toHaveLength(3);
    expect(g.busy).toBe(0);
  });

  it('never lets a caller ride on an fsync that started before its call', async () => {
    const m = manualSync();
    const g = new DirSyncGroup(m.syncDir, 1);
    const first = g.sync('/d');
    await settle();
    const callAt = m.tick();
    let secondDone = false;
    const second = g.sync('/d').then(() => {
      secondDone = true;
    });
    m.started[0]!.finish();
    await first;
    await settle();
    expect(secondDone).toBe(false);
    expect(m.started[1]!.at).toBeGreaterThan(callAt);
    m.started[1]!.finish();
    await second;
  });

  it('keeps directories apart', async () => {
    const m = manualSync();
    const g = new DirSyncGroup(m.syncDir, 1);
    const a = g.sync('/a');
    const b = g.sync('/b');
    await settle();
    expect(m.started.map((s) => s.dir)).toEqual(['/a', '/b']);
    for (const s of m.started) s.finish();
    await Promise.all([a, b]);
  });

  it('fails the callers of a failed fsync and recovers for later ones', async () => {
    const m = manualSync();
    const g = new DirSyncGroup(m.syncDir, 1);
    const a = g.sync('/d');
    const b = g.sync('/d');
    await settle();
    m.started[0]!.finish(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }));
    await expect(a).rejects.toThrow('EIO');
    await settle();
    m.started[1]!.finish();
    await b;
    const c = g.sync('/d');
    await settle();
    m.started[2]!.finish();
    await c;
    expect(g.busy).toBe(0);
  });
});
