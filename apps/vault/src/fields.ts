// Field coercion as Vault's framework does it: the CLI sends every value as a string, so ints,
// bools, durations and lists accept their string forms; null means absent.
import { parseDurationSeconds } from './duration.js';
import { badRequest } from './errors.js';

const conv = (field: string, value: unknown, why: string) =>
  badRequest(`error converting input ${JSON.stringify(value)} for field "${field}": ${why}`);

export const has = (data: Record<string, unknown>, key: string): boolean =>
  Object.hasOwn(data, key) && data[key] !== null && data[key] !== undefined;

export function str(data: Record<string, unknown>, key: string, def = ''): string {
  if (!has(data, key)) return def;
  const v = data[key];
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw conv(key, v, 'expected a string');
}

export function int(data: Record<string, unknown>, key: string, def = 0): number {
  if (!has(data, key)) return def;
  const v = data[key];
  const n =
    typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : Number.NaN;
  if (!Number.isInteger(n)) throw conv(key, v, 'expected an integer');
  return n;
}

export function bool(data: Record<string, unknown>, key: string, def = false): boolean {
  if (!has(data, key)) return def;
  const v = data[key];
  if (typeof v === 'boolean') return v;
  const s = String(v).toLowerCase();
  if (s === 'true' || s === '1' || s === 't') return true;
  if (s === 'false' || s === '0' || s === 'f' || s === '') return false;
  throw conv(key, v, 'expected a boolean');
}

export function seconds(data: Record<string, unknown>, key: string, def = 0): number {
  if (!has(data, key)) return def;
  const s = parseDurationSeconds(data[key]);
  if (s === undefined) throw conv(key, data[key], 'expected a duration');
  return s;
}

/** Comma-separated string or JSON array of strings; trimmed, empties dropped. */
export function strList(data: Record<string, unknown>, key: string): string[] {
  if (!has(data, key)) return [];
  const v = data[key];
  const parts = Array.isArray(v) ? v.map(String) : typeof v === 'string' ? v.split(',') : undefined;
  if (!parts) throw conv(key, v, 'expected a list of strings');
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

/** Policy lists: lower-cased, de-duplicated, sorted — as Vault stores them. */
export function policyList(data: Record<string, unknown>, key: string): string[] {
  return normalizePolicies(strList(data, key));
}

export function normalizePolicies(list: string[]): string[] {
  return [...new Set(list.map((p) => p.toLowerCase()))].sort();
}

export function strMap(data: Record<string, unknown>, key: string): Record<string, string> | null {
  if (!has(data, key)) return null;
  let v = data[key];
  if (typeof v === 'string') {
    if (v.trim() === '') return null;
    try {
      v = JSON.parse(v);
    } catch {
      throw conv(key, v, 'expected a JSON object of strings');
    }
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw conv(key, v, 'expected a map of strings');
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) out[k] = String(val);
  return out;
}
