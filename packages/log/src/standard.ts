// The readable rendering of a log record: one line per record, the same fields as the JSON line.
//
//   2026-12-07T02:29:08.123Z [INFO]  vault core: vault is unsealed
//   2026-12-07T02:29:09.001Z [DEBUG] minio request completed reqId=18802B1C3A0F0001 method=PUT path=/b/o status=200 durationMs=3.1
//
// Time, the level in Vault's bracketed form, the service (padded so that the three servers' lines
// align when read together), the message, then every other field as key=value.

const PINNED = new Set(['time', 'level', 'service', 'msg']);

function scalar(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  return JSON.stringify(v);
}

// An error as the JSON line holds it (see serializeError): its message, then each cause's.
function errorText(v: unknown): string {
  const parts: string[] = [];
  let e = v as { message?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    parts.push(String(e.message ?? ''));
    e = e.cause as typeof e;
  }
  return parts.join(': ');
}

/** Renders one record (the parsed JSON line) as a readable line, newline included. */
export function formatStandard(record: Record<string, unknown>): string {
  const level = String(record['level'] ?? 'info').toUpperCase();
  let line = `${String(record['time'] ?? '')} ${`[${level}]`.padEnd(7)} ${String(record['service'] ?? '').padEnd(5)} ${String(record['msg'] ?? '')}`;
  for (const [k, v] of Object.entries(record)) {
    if (PINNED.has(k) || v === undefined) continue;
    line += ` ${k}=${k === 'err' ? scalar(errorText(v)) : scalar(v)}`;
  }
  return `${line}\n`;
}
