// Go's time.Duration in its text form. Go programs (KES, Vault, MinIO) write and read durations
// with `time.ParseDuration` and `Duration.String`; the servers here read the same config files and
// print the same banners, so both directions follow Go to the nanosecond. A duration is a bigint
// of nanoseconds, as Go's is an int64: a JS number cannot hold every int64, and Go's own tests
// parse values near ±2^63.

/** One nanosecond, the unit of every duration here. */
export const Nanosecond = 1n;
export const Microsecond = 1000n * Nanosecond;
export const Millisecond = 1000n * Microsecond;
export const Second = 1000n * Millisecond;
export const Minute = 60n * Second;
export const Hour = 60n * Minute;

/** The largest duration, as Go's `math.MaxInt64` nanoseconds (about 292 years). */
export const MaxDuration = (1n << 63n) - 1n;
/** The smallest duration, as Go's `math.MinInt64` nanoseconds. */
export const MinDuration = -(1n << 63n);

/** A text that is not a duration. The message is Go's, word for word. */
export class DurationError extends Error {
  override name = 'DurationError';
}

// No `d`: a day is not always 24 hours, so Go stops at hours; callers that accept days say so.
const units = new Map<string, bigint>([
  ['ns', Nanosecond],
  ['us', Microsecond],
  ['\u00b5s', Microsecond], // µ MICRO SIGN
  ['\u03bcs', Microsecond], // μ GREEK SMALL LETTER MU
  ['ms', Millisecond],
  ['s', Second],
  ['m', Minute],
  ['h', Hour],
]);

const limit = 1n << 63n; // |MinDuration|: the magnitude a negative duration may reach

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/**
 * Go's `time.ParseDuration`: a possibly signed sequence of decimal numbers, each with an optional
 * fraction and a unit — `"300ms"`, `"-1.5h"`, `"2h45m"`, `".5s"`, `"1h2m3s4ms5us6ns"`; `"0"`
 * alone needs no unit. Units: ns, us (µs, μs), ms, s, m, h. No whitespace, no days.
 * @returns nanoseconds, within [MinDuration, MaxDuration].
 * @throws DurationError with Go's text — `time: invalid duration "x"`, `time: missing unit in
 *   duration "5"`, `time: unknown unit "d" in duration "1d"` — also when the value overflows int64.
 */
export function parseDuration(text: string): bigint {
  const invalid = (): DurationError => new DurationError(`time: invalid duration ${goQuote(text)}`);
  let s = text;
  let negative = false;
  if (s[0] === '-' || s[0] === '+') {
    negative = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') throw invalid();
  let total = 0n;
  while (s !== '') {
    if (!(s[0] === '.' || isDigit(s[0]))) throw invalid();
    let i = 0;
    let whole = 0n;
    for (; isDigit(s[i]); i++) {
      whole = whole * 10n + BigInt(s.charCodeAt(i) - 48);
      if (whole > limit) throw invalid();
    }
    const hasWhole = i > 0;
    s = s.slice(i);
    // The fraction stops gaining precision (without failing) once it would pass 2^63, as Go's does;
    // digits beyond that cannot change the nanoseconds of even an hour.
    let fraction = 0n;
    let scale = 1;
    let hasFraction = false;
    if (s[0] === '.') {
      let j = 1;
      let saturated = false;
      for (; isDigit(s[j]); j++) {
        if (saturated) continue;
        const next = fraction * 10n + BigInt(s.charCodeAt(j) - 48);
        if (fraction > MaxDuration / 10n || next > limit) {
          saturated = true;
          continue;
        }
        fraction = next;
        scale *= 10;
      }
      hasFraction = j > 1;
      s = s.slice(j);
    }
    if (!hasWhole && !hasFraction) throw invalid();
    let k = 0;
    while (k < s.length && !(s[k] === '.' || isDigit(s[k]))) k++;
    if (k === 0) throw new DurationError(`time: missing unit in duration ${goQuote(text)}`);
    const name = s.slice(0, k);
    s = s.slice(k);
    const unit = units.get(name);
    if (unit === undefined) {
      throw new DurationError(`time: unknown unit ${goQuote(name)} in duration ${goQuote(text)}`);
    }
    if (whole > limit / unit) throw invalid();
    let value = whole * unit;
    if (fraction > 0n) {
      // In float64, as Go computes it: exact to the nanosecond for fractions of an hour.
      value += BigInt(Math.trunc(Number(fraction) * (Number(unit) / scale)));
      if (value > limit) throw invalid();
    }
    total += value;
    if (total > limit) throw invalid();
  }
  if (negative) return -total;
  if (total > MaxDuration) throw invalid();
  return total;
}

/**
 * Go's `Duration.String`: `"72h3m0.5s"`, `"1.5ms"`, `"1µs"`, `"0s"`. Below one second the unit is
 * ns, µs or ms with a fraction; from one second on it is h, m and s, the leading zero units
 * omitted, the fraction of the seconds without trailing zeros.
 * @param d nanoseconds; values outside [MinDuration, MaxDuration] print as if Go had not wrapped.
 */
export function formatDuration(d: bigint): string {
  const negative = d < 0n;
  let u = negative ? -d : d;
  let out: string;
  if (u < Second) {
    if (u === 0n) return '0s';
    const [prec, unit] = u < Microsecond ? [0, 'ns'] : u < Millisecond ? [3, '\u00b5s'] : [6, 'ms'];
    const [fraction, rest] = formatFraction(u, prec);
    out = `${rest}${fraction}${unit}`;
  } else {
    const [fraction, seconds] = formatFraction(u, 9);
    u = seconds;
    out = `${u % 60n}${fraction}s`;
    u /= 60n;
    if (u > 0n) {
      out = `${u % 60n}m${out}`;
      u /= 60n;
      // Hours are the largest unit: days differ in length.
      if (u > 0n) out = `${u}h${out}`;
    }
  }
  return negative ? `-${out}` : out;
}

// The low `prec` decimal digits of v as ".ddd" without trailing zeros ("" when all are zero), and
// v with them removed.
function formatFraction(v: bigint, prec: number): [string, bigint] {
  let digits = '';
  let significant = false;
  let rest = v;
  for (let i = 0; i < prec; i++) {
    const digit = rest % 10n;
    significant ||= digit !== 0n;
    if (significant) digits = `${digit}${digits}`;
    rest /= 10n;
  }
  return [significant ? `.${digits}` : '', rest];
}

const utf8 = new TextEncoder();

// Go's quoting in time's error messages: ASCII as is (with `"` and `\` escaped), every byte of
// any other character and of control characters as \xNN.
function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0x80 || cp < 0x20) {
      for (const b of utf8.encode(ch)) out += `\\x${b.toString(16).padStart(2, '0')}`;
    } else {
      out += ch === '"' || ch === '\\' ? `\\${ch}` : ch;
    }
  }
  return `${out}"`;
}
