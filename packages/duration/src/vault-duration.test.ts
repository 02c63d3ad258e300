// Vault's parseutil.ParseDurationSecond: seconds, days, then Go's text.
import { describe, expect, it } from 'vitest';
import { DurationError, Hour, Millisecond, Minute, parseDurationSecond, Second } from './index.js';

describe('parseDurationSecond', () => {
  it.each([
    [undefined, 0n],
    [null, 0n],
    ['', 0n],
    [3600, 3600n * Second],
    [1.9, 1n * Second],
    [-5, -5n * Second],
    ['30', 30n * Second],
    ['+30', 30n * Second],
    ['-30', -30n * Second],
    ['7d', 7n * 24n * Hour],
    ['30s', 30n * Second],
    ['5m', 5n * Minute],
    ['1.5h', 90n * Minute],
    ['1500ms', 1500n * Millisecond],
    ['-5m', -5n * Minute],
  ])('%j = %d ns', (value, ns) => {
    expect(parseDurationSecond(value)).toBe(ns);
  });

  it.each([
    ['abc', 'time: invalid duration "abc"'],
    [' 30 ', 'time: invalid duration " 30 "'],
    ['1.5d', 'strconv.ParseInt: parsing "1.5": invalid syntax'],
    ['1d12h', 'time: unknown unit "d" in duration "1d12h"'],
    ['d', 'strconv.ParseInt: parsing "": invalid syntax'],
    [true, 'could not parse duration from input'],
    [{}, 'could not parse duration from input'],
    [Number.NaN, 'could not parse duration from input'],
    [1e300, 'could not parse duration from input'],
  ])('%j fails: %s', (value, message) => {
    expect(() => parseDurationSecond(value)).toThrow(new DurationError(message));
  });
});
