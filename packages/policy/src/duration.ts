// Vault-style durations: integer seconds or Go duration strings.

const UNIT_SECONDS: Record<string, number> = {
  ns: 1e-9,
  us: 1e-6,
  µs: 1e-6,
  μs: 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
};

/**
 * Go's `time.ParseDuration`, in seconds: `"300ms"`, `"-1.5h"`, `"1h30m"`, `"0"`. Units ns, us
 * (µs), ms, s, m, h; no days.
 * @throws Error `time: invalid duration "abc"` (Go's text) for anything else.
 */
export function parseGoDuration(text: string): number {
  const bad = (): never => {
    throw new Error(`time: invalid duration ${JSON.stringify(text)}`);
  };
  let s = text;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') bad();
  let total = 0;
  while (s !== '') {
    const m = /^([0-9]*)(?:\.([0-9]*))?([a-zµμ]*)/u.exec(s)!;
    const [all, whole = '', frac, unit = ''] = m;
    if (whole === '' && (frac === undefined || frac === '')) bad();
    if (unit === '') throw new Error(`time: missing unit in duration ${JSON.stringify(text)}`);
    const scale = UNIT_SECONDS[unit];
    if (scale === undefined) {
      throw new Error(`time: unknown unit ${JSON.stringify(unit)} in duration ${JSON.stringify(text)}`);
    }
    total += Number(`${whole || '0'}.${frac ?? ''}0`) * scale;
    s = s.slice(all.length);
  }
  return sign * total;
}

/**
 * Vault's `parseutil.ParseDurationSecond`, in whole seconds: a number is seconds; a string is
 * seconds when it is all digits, days with a `d` suffix (`"7d"`), else a Go duration (`"768h"`,
 * `"5m"`); `""` is 0. Fractions of a second are truncated.
 * @throws Error (Go's wording, e.g. `time: invalid duration "abc"`) for anything else.
 */
export function parseVaultDuration(value: unknown): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`invalid duration ${String(value)}`);
    return Math.trunc(value);
  }
  if (typeof value === 'boolean' || value === null || value === undefined) {
    throw new Error(`could not parse duration from input`);
  }
  if (typeof value !== 'string') throw new Error(`could not parse duration from input`);
  const s = value.trim();
  if (s === '') return 0;
  if (/^[0-9]+$/.test(s)) return Number(s);
  const days = /^([0-9]+)d$/.exec(s);
  if (days) return Number(days[1]) * 86400;
  return Math.trunc(parseGoDuration(s));
}
