// KES config files hold Go durations (KES reads them with time.ParseDuration); the server keeps
// them as milliseconds, the unit of Node's timers. Both directions go through the one Go
// implementation in @kms-chain/duration.
import { formatDuration, Millisecond, parseDuration } from '@kms-chain/duration';

/** A Go duration ("5m", "1.5s", "-1s", "0") in milliseconds; undefined when the text is not one. */
export function parseGoDuration(text: string): number | undefined {
  try {
    return Number(parseDuration(text)) / Number(Millisecond);
  } catch {
    return undefined;
  }
}

/** Milliseconds as Go prints a time.Duration ("1m30s", "1.5ms", "0s"), for banners and `kes status`. */
export function formatGoDuration(ms: number): string {
  return formatDuration(BigInt(Math.round(ms * Number(Millisecond))));
}
