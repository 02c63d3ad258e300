import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { KeyedLock } from './index.js';

describe('KeyedLock', () => {
  it('runs the sequences of one key one after another, in arrival order', async () => {
    const lock = new KeyedLock();
    let counter = 0;
    const order: number[] = [];
    // Each run reads, waits, then writes: interleaved, all eight would write 1.
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        lock.run('k', async () => {
          const seen = counter;
          await sleep(1);
          counter = seen + 1;
          order.push(i);
        }),
      ),
    );
    expect(counter).toBe(8);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('lets different keys run at the same time', async () => {
    const lock = new KeyedLock();
    let inside = 0;
    let most = 0;
    await Promise.all(
      ['a', 'b', 'c'].map((key) =>
        lock.run(key, async () => {
          most = Math.max(most, ++inside);
          await sleep(5);
          inside--;
        }),
      ),
    );
    expect(most).toBe(3);
  });

  it('passes results and errors through, and a failed run does not block the next', async () => {
    const lock = new KeyedLock();
    const failed = lock.run('k', async () => {
      throw new Error('boom');
    });
    const next = lock.run('k', async () => 42);
    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toBe(42);
  });

  it('forgets a key once nothing runs or waits on it', async () => {
    const lock = new KeyedLock();
    const runs = [
      lock.run('a', () => sleep(2)),
      lock.run('a', () => sleep(1)),
      lock.run('b', () => sleep(1)),
    ];
    expect(lock.size).toBe(2);
    await Promise.all(runs);
    expect(lock.size).toBe(0);
  });
});
