// Vault's duration fields (`ttl`, `max_lease_ttl`, policy `min_wrapping_ttl`, config
// `default_lease_ttl`, …) accept more than Go's text: a bare number is seconds, and a whole
// number of days may be written `7d`. Vault reads them with `parseutil.ParseDurationSecond`; this
// is that function's behaviour, built on the one Go parser.
import { DurationError, Hour, MaxDuration, MinDuration, parseDuration, Second } from './go-duration.js';

const integer = /^[+-]?[0-9]+$/;

/**
 * Vault's `parseutil.ParseDurationSecond`, in nanoseconds:
 * - `undefined`, `null` and `""` are 0;
 * - a number is seconds, its fraction dropped (`1.9` → 1 s);
 * - a string that is an integer is seconds (`"90"`, `"-5"`);
 * - a string ending in `d` is whole days (`"7d"`; `"1.5d"` and `"1d12h"` are errors);
 * - any other string is Go's `time.ParseDuration` (`"768h"`, `"1.5h"`, `"500ms"`).
 * Negative values pass; fields that forbid them check the result (as Vault's field types do).
 * No whitespace is trimmed.
 * @throws DurationError for anything else: Go's text for strings, `could not parse duration from
 *   input` for other types, non-finite numbers and values beyond the int64 nanosecond range.
 */
export function parseDurationSecond(value: unknown): bigint {
  if (value === undefined || value === null || value === '') return 0n;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw notParsable();
    return inRange(BigInt(Math.trunc(value)) * Second);
  }
  if (typeof value !== 'string') throw notParsable();
  if (integer.test(value)) {
    const n = BigInt(value);
    // Beyond int64, Go's strconv.ParseInt fails and the text falls through to ParseDuration.
    if (n <= MaxDuration && n >= MinDuration) return inRange(n * Second);
  } else if (value.endsWith('d')) {
    const days = value.slice(0, -1);
    if (!integer.test(days)) {
      throw new DurationError(`strconv.ParseInt: parsing ${JSON.stringify(days)}: invalid syntax`);
    }
    return inRange(BigInt(days) * 24n * Hour);
  }
  return parseDuration(value);
}

const notParsable = (): DurationError => new DurationError('could not parse duration from input');

// Go would wrap silently past int64; a duration that large is a mistake, not a wish.
function inRange(d: bigint): bigint {
  if (d > MaxDuration || d < MinDuration) throw notParsable();
  return d;
}
