// Go's own facts about time.ParseDuration and Duration.String (its time package tests), as rows.
import { describe, expect, it } from 'vitest';
import {
  DurationError,
  formatDuration,
  Hour,
  MaxDuration,
  Microsecond,
  Millisecond,
  MinDuration,
  Minute,
  Nanosecond,
  parseDuration,
  Second,
} from './index.js';

describe('parseDuration', () => {
  it.each([
    // simple
    ['0', 0n],
    ['5s', 5n * Second],
    ['30s', 30n * Second],
    ['1478s', 1478n * Second],
    // sign
    ['-5s', -5n * Second],
    ['+5s', 5n * Second],
    ['-0', 0n],
    ['+0', 0n],
    // decimal
    ['5.0s', 5n * Second],
    ['5.6s', 5n * Second + 600n * Millisecond],
    ['5.s', 5n * Second],
    ['.5s', 500n * Millisecond],
    ['1.0s', 1n * Second],
    ['1.00s', 1n * Second],
    ['1.004s', 1n * Second + 4n * Millisecond],
    ['1.0040s', 1n * Second + 4n * Millisecond],
    ['100.00100s', 100n * Second + 1n * Millisecond],
    // every unit
    ['10ns', 10n * Nanosecond],
    ['11us', 11n * Microsecond],
    ['12\u00b5s', 12n * Microsecond],
    ['12\u03bcs', 12n * Microsecond],
    ['13ms', 13n * Millisecond],
    ['14s', 14n * Second],
    ['15m', 15n * Minute],
    ['16h', 16n * Hour],
    // composite
    ['3h30m', 3n * Hour + 30n * Minute],
    ['10.5s4m', 4n * Minute + 10n * Second + 500n * Millisecond],
    ['-2m3.4s', -(2n * Minute + 3n * Second + 400n * Millisecond)],
    ['1h2m3s4ms5us6ns', Hour + 2n * Minute + 3n * Second + 4n * Millisecond + 5n * Microsecond + 6n],
    ['39h9m14.425s', 39n * Hour + 9n * Minute + 14n * Second + 425n * Millisecond],
    // large values
    ['52763797000ns', 52763797000n],
    ['0.3333333333333333333h', 20n * Minute], // more than 9 fraction digits
    ['9007199254740993ns', (1n << 53n) + 1n], // not a float64
    ['9223372036854775807ns', MaxDuration],
    ['9223372036854775.807us', MaxDuration],
    ['9223372036s854ms775us807ns', MaxDuration],
    ['-9223372036854775808ns', MinDuration],
    ['-9223372036854775.808us', MinDuration],
    ['-9223372036s854ms775us808ns', MinDuration],
    ['-2562047h47m16.854775808s', MinDuration],
    ['0.100000000000000000000h', 6n * Minute], // a long fraction
    ['0.830103483285477580700h', 49n * Minute + 48n * Second + 372539827n], // saturating fraction
  ])('%s = %d ns', (text, ns) => {
    expect(parseDuration(text)).toBe(ns);
  });

  it.each([
    ['', 'time: invalid duration ""'],
    ['3', 'time: missing unit in duration "3"'],
    ['-', 'time: invalid duration "-"'],
    ['s', 'time: invalid duration "s"'],
    ['.', 'time: invalid duration "."'],
    ['-.', 'time: invalid duration "-."'],
    ['.s', 'time: invalid duration ".s"'],
    ['+.s', 'time: invalid duration "+.s"'],
    ['1d', 'time: unknown unit "d" in duration "1d"'],
    ['1d12h', 'time: unknown unit "d" in duration "1d12h"'],
    [' 5s', 'time: invalid duration " 5s"'],
    ['5 s', 'time: unknown unit " s" in duration "5 s"'],
    ['\ufffd', 'time: invalid duration "\\xef\\xbf\\xbd"'],
    ['\ufffd hello \ufffd world', 'time: invalid duration "\\xef\\xbf\\xbd hello \\xef\\xbf\\xbd world"'],
    // overflow
    ['9223372036854775810ns', 'time: invalid duration "9223372036854775810ns"'],
    ['9223372036854775808ns', 'time: invalid duration "9223372036854775808ns"'],
    ['-9223372036854775809ns', 'time: invalid duration "-9223372036854775809ns"'],
    ['9223372036854776us', 'time: invalid duration "9223372036854776us"'],
    ['3000000h', 'time: invalid duration "3000000h"'],
    ['9223372036854775.808us', 'time: invalid duration "9223372036854775.808us"'],
    ['9223372036854ms775us808ns', 'time: invalid duration "9223372036854ms775us808ns"'],
  ])('%j fails: %s', (text, message) => {
    expect(() => parseDuration(text)).toThrow(new DurationError(message));
  });
});

describe('formatDuration', () => {
  it.each([
    ['0s', 0n],
    ['1ns', 1n * Nanosecond],
    ['1.1\u00b5s', 1100n * Nanosecond],
    ['1.5ms', 1500n * Microsecond],
    ['2.2ms', 2200n * Microsecond],
    ['3.3s', 3300n * Millisecond],
    ['4m5s', 4n * Minute + 5n * Second],
    ['4m5.001s', 4n * Minute + 5001n * Millisecond],
    ['5h6m7.001s', 5n * Hour + 6n * Minute + 7001n * Millisecond],
    ['8m0.000000001s', 8n * Minute + 1n * Nanosecond],
    ['768h0m0s', 768n * Hour],
    ['2562047h47m16.854775807s', MaxDuration],
    ['-2562047h47m16.854775808s', MinDuration],
  ])('%s', (text, ns) => {
    expect(formatDuration(ns)).toBe(text);
    if (ns > 0n) expect(formatDuration(-ns)).toBe(`-${text}`);
  });

  it('round-trips through parseDuration, the extremes and whole milliseconds', () => {
    for (const d of [MaxDuration, MinDuration, 0n, 1n, 999n * Millisecond, 2147483647n * Millisecond]) {
      expect(parseDuration(formatDuration(d))).toBe(d);
    }
    for (let i = 0; i < 100; i++) {
      const d = BigInt(Math.floor(Math.random() * 2 ** 31)) * Millisecond;
      expect(parseDuration(formatDuration(d))).toBe(d);
    }
  });
});
