import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IdleCollector } from './idle-collect.js';

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
