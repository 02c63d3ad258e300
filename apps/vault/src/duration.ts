// Go-style durations: parsing the strings Vault accepts ("30s", "5m", "1h30m", "7d", plain
// seconds) and printing them as Vault's CLI does ("5m", "168h", "1h30m", "0s").

const UNITS: Record<string, number> = {
  ns: 1e-9,
  us: 1e-6,
  µs: 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
  d: 86400,
};

/** Parses a duration to whole seconds; returns undefined when the text is not a duration. */
export function parseDurationSeconds(value: unknown): number | undefined {
  if (value === null || value === undefined || value === '') return 0;
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.floor(value) : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number.parseInt(text, 10);
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d)/gy;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number.parseFloat(m[1]!) * UNITS[m[2]!]!;
    consumed = re.lastIndex;
  }
  if (consumed !== text.length || consumed === 0) return undefined;
  return Math.floor(total);
}

/** Prints seconds as Vault's CLI does: Go's Duration.String without trailing zero units. */
export function humanDuration(seconds: number): string {
  if (seconds === 0) return '0s';
  const neg = seconds < 0;
  let s = Math.abs(seconds);
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  let out = '';
  if (h > 0) out = `${h}h${m}m${s}s`;
  else if (m > 0) out = `${m}m${s}s`;
  else out = `${s}s`;
  if (out.endsWith('m0s')) out = out.slice(0, -2);
  const idx = out.indexOf('h0m');
  if (idx > 0) out = out.slice(0, idx + 1) + out.slice(idx + 3);
  return (neg ? '-' : '') + out;
}

/** Go's Duration.String for config banners ("1m30s", "768h0m0s"). */
export function goDurationString(seconds: number): string {
  if (seconds === 0) return '0s';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}
