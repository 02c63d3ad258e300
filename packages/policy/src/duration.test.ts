import { describe, expect, it } from 'vitest';
import { parseGoDuration, parseVaultDuration } from './duration.js';

describe('parseGoDuration', () => {
  it.each([
    ['0', 0],
    ['1s', 1],
    ['1.5s', 1.5],
    ['-1.5h', -5400],
    ['+2m', 120],
    ['1h30m', 5400],
    ['300ms', 0.3],
    ['1us', 1e-6],
    ['1µs', 1e-6],
    ['.5m', 30],
    ['768h', 2764800],
  ])('%j = %j s', (text, seconds) => {
    expect(parseGoDuration(text)).toBeCloseTo(seconds, 9);
  });

  it.each([
    ['', 'time: invalid duration ""'],
    ['abc', 'time: invalid duration "abc"'],
    ['1', 'time: missing unit in duration "1"'],
    ['5d', 'time: unknown unit "d" in duration "5d"'],
    ['-', 'time: invalid duration "-"'],
    ['1h-', 'time: invalid duration "1h-"'],
  ])('%j → %s', (text, message) => {
    expect(() => parseGoDuration(text)).toThrow(message);
  });
});

describe('parseVaultDuration', () => {
  it.each([
    [3600, 3600],
    [1.9, 1],
    ['', 0],
    ['30', 30],
    [' 30 ', 30],
    ['30s', 30],
    ['5m', 300],
    ['168h', 604800],
    ['7d', 604800],
    ['1500ms', 1],
  ])('%j = %j s', (value, seconds) => {
    expect(parseVaultDuration(value)).toBe(seconds);
  });

  it.each([['abc'], [true], [null], [{}], [Number.NaN]])('%j is rejected', (value) => {
    expect(() => parseVaultDuration(value)).toThrow();
  });
});
