// Vault's duration fields and how its CLI prints them, over the one Go duration implementation
// (@kms-chain/duration). Vault keeps TTLs as whole seconds.
import { formatDuration, parseDurationSecond, Second } from '@kms-chain/duration';

/**
 * A duration field as Vault reads it (`parseutil.ParseDurationSecond`: a number or digits are
 * seconds, `7d` is days, else Go's text), in whole seconds, fractions dropped; `""`, null and
 * undefined are 0. Undefined when the value is not a duration or is negative — Vault's
 * TypeDurationSecond fields refuse negatives.
 */
export function parseDurationSeconds(value: unknown): number | undefined {
  let d: bigint;
  try {
    d = parseDurationSecond(value);
  } catch {
    return undefined;
  }
  return d < 0n ? undefined : Number(d / Second);
}

/** Go's Duration.String of whole seconds, as Vault's server banner prints it ("1m30s", "768h0m0s"). */
export function goDurationString(seconds: number): string {
  return formatDuration(BigInt(Math.trunc(seconds)) * Second);
}

/**
 * Seconds as Vault's CLI prints them (its `humanDuration`): Go's Duration.String with a trailing
 * zero-seconds and a zero-minutes part dropped ("5m", "168h", "1h1s", "0s").
 */
export function humanDuration(seconds: number): string {
  let s = goDurationString(seconds);
  if (s.endsWith('m0s')) s = s.slice(0, -2);
  const i = s.indexOf('h0m');
  if (i > 0) s = s.slice(0, i + 1) + s.slice(i + 3);
  return s;
}
