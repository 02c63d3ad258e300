// Vault's CLI output shapes: the Key/Value tables (columns joined by four spaces, first column
// padded, empty cells `n/a`), Go `%v` rendering of JSON values, durations for TTL-like keys, and
// `-format=json`.

import { UsageError } from '@kms-chain/cli';
import { humanDuration } from '../duration.js';

export type Format = 'table' | 'json';

export function outputFormat(flag: string | undefined): Format {
  const f = (flag || process.env['VAULT_FORMAT'] || 'table').toLowerCase();
  if (f === 'table' || f === 'json') return f;
  if (f === 'yaml' || f === 'yml' || f === 'pretty')
    throw new UsageError(`format "${f}" is not supported by this build`);
  throw new UsageError(`Invalid output format: ${f}`);
}

/** Renders rows as columnize does with Vault's config (glue "    ", empty → n/a). */
export function columns(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) {
    r.forEach((c, i) => {
      widths[i] = Math.max(widths[i] ?? 0, [...(c || 'n/a')].length);
    });
  }
  return rows
    .map((r) =>
      r
        .map((c, i) => {
          const cell = c === '' ? 'n/a' : c;
          return i === r.length - 1 ? cell : cell + ' '.repeat(widths[i]! - [...cell].length);
        })
        .join('    '),
    )
    .join('\n');
}

export function kvTable(rows: Array<[string, string]>): string {
  return columns([['Key', 'Value'], ['---', '-----'], ...rows]);
}

/** Go's fmt `%v` of a decoded JSON value. */
export function goValue(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goValue).join(' ')}]`;
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `map[${entries.map(([k, val]) => `${k}:${goValue(val)}`).join(' ')}]`;
  }
  return String(v);
}

/** Go's `%q` of a string slice: ["a" "b"]. */
export const goQuoteList = (list: unknown): string =>
  `[${(Array.isArray(list) ? list : []).map((s) => JSON.stringify(String(s))).join(' ')}]`;

export const looksLikeDuration = (k: string): boolean =>
  k === 'period' ||
  k.endsWith('_period') ||
  k === 'ttl' ||
  k.endsWith('_ttl') ||
  k === 'duration' ||
  k.endsWith('_duration') ||
  k === 'lease_max' ||
  k === 'ttl_max';

function durationOrValue(v: unknown): string {
  if (typeof v === 'number' && Number.isInteger(v)) return humanDuration(v);
  if (typeof v === 'string' && /^\d+$/.test(v)) return humanDuration(Number(v));
  return goValue(v);
}

/** Vault's table rendering of a response ("secret"). Returns '' when there is nothing to show. */
export function secretTable(secret: Record<string, unknown>): string {
  const rows: Array<[string, string]> = [];
  const lease = Number(secret['lease_duration'] ?? 0);
  if (lease > 0) {
    if (secret['lease_id']) {
      rows.push(['lease_id', String(secret['lease_id'])]);
      rows.push(['lease_duration', humanDuration(lease)]);
      rows.push(['lease_renewable', String(secret['renewable'] === true)]);
    } else {
      rows.push(['refresh_interval', humanDuration(lease)]);
    }
  }
  const auth = secret['auth'] as Record<string, unknown> | null | undefined;
  if (auth) {
    rows.push(['token', String(auth['client_token'] ?? '')]);
    rows.push(['token_accessor', String(auth['accessor'] ?? '')]);
    const d = Number(auth['lease_duration'] ?? 0);
    rows.push(['token_duration', d === 0 ? '∞' : humanDuration(d)]);
    rows.push(['token_renewable', String(auth['renewable'] === true)]);
    rows.push(['token_policies', goQuoteList(auth['token_policies'])]);
    rows.push(['identity_policies', goQuoteList(auth['identity_policies'])]);
    rows.push(['policies', goQuoteList(auth['policies'])]);
    const meta = (auth['metadata'] ?? {}) as Record<string, unknown>;
    for (const k of Object.keys(meta).sort()) rows.push([`token_meta_${k}`, goValue(meta[k])]);
  }
  const data = secret['data'] as Record<string, unknown> | null | undefined;
  if (data && typeof data === 'object') {
    for (const k of Object.keys(data).sort()) {
      const v = data[k];
      rows.push([k, looksLikeDuration(k) ? durationOrValue(v) : goValue(v)]);
    }
  }
  if (rows.length === 0) return '';
  return kvTable(rows);
}

/** The api.Secret JSON Vault's CLI prints with -format=json. */
export function secretJson(secret: Record<string, unknown>): string {
  const out = {
    request_id: secret['request_id'] ?? '',
    lease_id: secret['lease_id'] ?? '',
    lease_duration: secret['lease_duration'] ?? 0,
    renewable: secret['renewable'] ?? false,
    data: secret['data'] ?? null,
    warnings: secret['warnings'] ?? null,
    ...(secret['auth'] ? { auth: secret['auth'] } : {}),
    ...(secret['mount_type'] ? { mount_type: secret['mount_type'] } : {}),
  };
  return JSON.stringify(out, null, 2);
}

/** Warnings block printed before a table. */
export function warningsBlock(secret: Record<string, unknown>): string {
  const w = secret['warnings'];
  if (!Array.isArray(w) || w.length === 0) return '';
  return `WARNING! The following warnings were returned from Vault:\n\n${w.map((x) => `  * ${x}`).join('\n\n')}\n\n`;
}

/** Greedy wrap at 78 columns, as Vault's wrapAtLength. */
export function wrap(text: string, width = 78): string {
  return text
    .split('\n')
    .map((para) => {
      const words = para.split(' ');
      const lines: string[] = [];
      let line = '';
      for (const w of words) {
        if (line === '') line = w;
        else if (line.length + 1 + w.length <= width) line += ` ${w}`;
        else {
          lines.push(line);
          line = w;
        }
      }
      lines.push(line);
      return lines.join('\n');
    })
    .join('\n');
}
