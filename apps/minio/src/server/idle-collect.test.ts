import { getHeapSpaceStatistics } from 'node:v8';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IdleCollector, releaseIdleMemory } from './idle-collect.js';

describe('IdleCollector', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('collects once per quiet spell, never while requests keep coming or while idle', () => {
    const collect = vi.fn();
    const idle = new IdleCollector({ quietMs: 1000, collect });
    vi.advanceTimersByTime(10_000);
    expect(collect).not.toHaveBeenCalled(); // nothing happened yet
    for (let i = 0; i < 20; i++) {
      idle.touch();
      vi.advanceTimersByTime(400);
    }
    expect(collect).not.toHaveBeenCalled();
    vi.advanceTimersByTime(600);
    expect(collect).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(60_000);
    expect(collect).toHaveBeenCalledTimes(1);
    idle.touch();
    vi.advanceTimersByTime(1000);
    expect(collect).toHaveBeenCalledTimes(2);
    expect(idle.collections).toBe(2);
  });

  it('settles once after a collection when still quiet, and not when a request came meanwhile', () => {
    const collect = vi.fn();
    const settle = vi.fn();
    const idle = new IdleCollector({ quietMs: 1000, collect, settle, settleMs: 5000 });
    idle.touch();
    vi.advanceTimersByTime(1000);
    expect(collect).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(4999);
    expect(settle).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(settle).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(60_000);
    expect([collect.mock.calls.length, settle.mock.calls.length]).toEqual([1, 1]);
    // A request between the collection and the settling step: no settling, a new collection after
    // the next quiet spell, then its settling step.
    idle.touch();
    vi.advanceTimersByTime(1000);
    expect(collect).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(4500);
    idle.touch();
    vi.advanceTimersByTime(500);
    expect(settle).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(499);
    expect(collect).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(1);
    expect(collect).toHaveBeenCalledTimes(3);
    vi.advanceTimersByTime(5000);
    expect(settle).toHaveBeenCalledTimes(2);
    expect(idle.settlings).toBe(2);
  });

  it('drops a pending collection when stopped', () => {
    const collect = vi.fn();
    const idle = new IdleCollector({ quietMs: 1000, collect });
    idle.touch();
    idle.stop();
    vi.advanceTimersByTime(5000);
    expect(collect).not.toHaveBeenCalled();
  });
});

describe('releaseIdleMemory', () => {
  it("drops the caches it is given and compacts the old generation's sparse pages", () => {
    const MiB = 1024 * 1024;
    const oldSpace = () => getHeapSpaceStatistics().find((s) => s.space_name === 'old_space')!;
    // 400 000 objects outlive two collections (so they sit in the old generation), then 9 in 10 go:
    // every page they filled stays in use, one tenth full.
    let kept: { i: number; text: string }[] = [];
    for (let i = 0; i < 400_000; i++) kept.push({ i, text: `object number ${i}` });
    releaseIdleMemory();
    releaseIdleMemory();
    kept = kept.filter((o) => o.i % 10 === 0);
    const dropCaches = vi.fn();
    releaseIdleMemory(dropCaches);
    expect(dropCaches).toHaveBeenCalledTimes(1);
    const { space_size: size, space_used_size: used } = oldSpace();
    expect(kept.length).toBe(40_000);
    // Without compaction ≈ 35 MiB of those pages stay committed around the 40 000 survivors.
    expect(size - used).toBeLessThan(16 * MiB);
  });
});
