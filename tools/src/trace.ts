// One S3 request across the chain, from the three audit logs (docs/observability.md#audit-and-trace):
// the object store's entry (requestID), the KES entries that name it (request.request_id) and the
// Vault entries whose X-Request-Id header carries it, as one timeline ordered by start time. What is
// shown: the operation, who made it (access key, KES identity, Vault token's display name and role),
// key names, latency and outcome. Never a key, a token or a data field: those never leave the logs.
import { createReadStream, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chainAuditFiles } from './audit-logs.js';

/** The audit logs to read. */
export interface AuditLogPaths {
  minio: string[];
  kes: string[];
  vault: string[];
}

/** One step of a request's path through the chain. */
export interface TraceEvent {
  service: 'minio' | 'kes' | 'vault';
  /** When the step started (ms since the epoch; fractional). */
  start: number;
  /** Its duration in ms, when the log says. */
  ms: number | undefined;
  /** `PutObject audit/o.txt`, `generate minio-default-key`, `read kv/minio/minio-default-key`. */
  operation: string;
  identity: string;
  /** Master key names the step used (never key material). */
  keys: string[];
  /** `200 OK`, `403`, `ok`, `error: …`. */
  outcome: string;
}

/** The logs a chain directory holds: minio's, every KES's (kes-audit.log, kes-<i>-audit.log), Vault's. */
export function chainAuditLogPaths(dir: string): AuditLogPaths {
  const files = chainAuditFiles(dir);
  const logs = join(dir, 'logs');
  const kes = existsSync(logs)
    ? readdirSync(logs)
        .filter((f) => /^kes(-\d+)?-audit\.log$/.test(f))
        .sort()
        .map((f) => join(logs, f))
    : [];
  return { minio: [files.minio], kes: kes.length > 0 ? kes : [files.kes], vault: [files.vault] };
}

/** Each JSON line of `file` that mentions `needle` (a cheap filter before parsing); none when absent. */
async function* matchingLines(file: string, needle: string): AsyncGenerator<Record<string, unknown>> {
  if (!existsSync(file)) return;
  const lines = createInterface({
    input: createReadStream(file, 'utf8'),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  for await (const line of lines) {
    if (!line.includes(needle)) continue;
    try {
      const v = JSON.parse(line) as unknown;
      if (v && typeof v === 'object') yield v as Record<string, unknown>;
    } catch {
      // a line cut by a crash, or another writer's: not an entry
    }
  }
}

// biome-ignore lint/suspicious/noExplicitAny: audit entries are read field by field.
type Json = any;

function minioEvent(e: Json): TraceEvent {
  const api = e.api ?? {};
  const ns = Number(api.timeToResponseInNS ?? 0);
  const end = Date.parse(e.time);
  const kms: Json[] = Array.isArray(e.tags?.kms) ? e.tags.kms : [];
  const target = [api.bucket, api.object].filter(Boolean).join('/');
  return {
    service: 'minio',
    start: end - ns / 1e6,
    ms: ns / 1e6,
    operation: `${api.name ?? 'S3 request'}${target ? ` ${target}` : ''}`,
    identity: e.accessKey ? `access key ${e.accessKey}` : 'anonymous',
    keys: [...new Set(kms.map((c) => String(c.key)))],
    outcome: `${api.statusCode ?? '?'}${api.status ? ` ${api.status}` : ''}`,
  };
}

function kesEvent(e: Json): TraceEvent {
  const path = String(e.request?.path ?? '');
  const micros = Number(e.response?.time ?? 0);
  const m = /^\/v1\/key\/([^/]+)\/(.+)$/.exec(path);
  const identity = String(e.request?.identity ?? '');
  return {
    service: 'kes',
    start: Date.parse(e.time) - micros / 1000,
    ms: micros / 1000,
    operation: m ? `${m[1]} ${m[2]}` : path,
    identity: identity ? `identity ${identity.slice(0, 16)}…` : 'no identity',
    keys: m ? [m[2]!] : [],
    outcome: String(e.response?.code ?? '?'),
  };
}

function hasHeader(e: Json, id: string): boolean {
  const headers = e.request?.headers;
  if (!headers || typeof headers !== 'object') return false;
  for (const [name, v] of Object.entries(headers)) {
    if (name.toLowerCase() !== 'x-request-id') continue;
    if ((Array.isArray(v) ? v : [v]).includes(id)) return true;
  }
  return false;
}

/** A Vault request and its response entry (paired by request.id) as one step. */
function vaultEvent(request: Json | undefined, response: Json | undefined): TraceEvent {
  const e = request ?? response;
  const start = Date.parse(e.time);
  const end = response ? Date.parse(response.time) : undefined;
  const path = String(e.request?.path ?? '');
  const auth = e.auth ?? {};
  const role = auth.metadata?.role_name;
  const who = [auth.display_name, role ? `role ${role}` : ''].filter(Boolean).join(', ');
  const keyName = /^(?:kv|secret)\/(?:data\/|metadata\/)?(?:.*\/)?([^/]+)$/.exec(path)?.[1];
  const error = response?.error ?? e.error;
  return {
    service: 'vault',
    start,
    ms: end === undefined ? undefined : end - start,
    operation: `${e.request?.operation ?? '?'} ${path}`,
    identity: who || 'no token',
    keys: keyName ? [keyName] : [],
    outcome: error ? `error: ${error}` : response ? 'ok' : 'no response logged',
  };
}

/** Every step of request `id` in the logs, ordered by start. */
export async function traceRequest(id: string, paths: AuditLogPaths): Promise<TraceEvent[]> {
  const events: TraceEvent[] = [];
  for (const f of paths.minio)
    for await (const e of matchingLines(f, id)) if (e['requestID'] === id) events.push(minioEvent(e));
  for (const f of paths.kes)
    for await (const e of matchingLines(f, id))
      if ((e['request'] as Json)?.request_id === id) events.push(kesEvent(e));
  for (const f of paths.vault) {
    const byId = new Map<string, { request?: Json; response?: Json }>();
    for await (const e of matchingLines(f, id)) {
      if (!hasHeader(e, id)) continue;
      const rid = String((e['request'] as Json)?.id ?? '');
      const pair = byId.get(rid) ?? {};
      if (e['type'] === 'response') pair.response = e;
      else pair.request = e;
      byId.set(rid, pair);
    }
    for (const p of byId.values()) events.push(vaultEvent(p.request, p.response));
  }
  const order = { minio: 0, kes: 1, vault: 2 };
  return events.sort((a, b) => a.start - b.start || order[a.service] - order[b.service]);
}

const fixed = (n: number | undefined) => (n === undefined ? '?' : n.toFixed(3));

/** The timeline as text: one line per step, times relative to the first. */
export function formatTrace(id: string, events: TraceEvent[], paths: AuditLogPaths): string {
  const lines = [`Request ${id}`];
  if (events.length === 0) {
    lines.push('  no entry names this request id in');
    for (const f of [...paths.minio, ...paths.kes, ...paths.vault])
      lines.push(`    ${f}${existsSync(f) ? '' : ' (absent)'}`);
    return `${lines.join('\n')}\n`;
  }
  const t0 = events[0]!.start;
  const rows = events.map((e) => [
    `+${fixed(e.start - t0)} ms`,
    e.service === 'minio' ? 'S3' : e.service === 'kes' ? 'KES' : 'Vault',
    e.operation,
    e.identity,
    e.keys.length > 0 ? `key ${e.keys.join(', ')}` : '',
    e.outcome,
    `${fixed(e.ms)} ms`,
  ]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) lines.push(`  ${r.map((c, i) => c.padEnd(widths[i]!)).join('  ')}`.trimEnd());
  const seen = new Set(events.map((e) => e.service));
  const absent = (['minio', 'kes', 'vault'] as const).filter((s) => !seen.has(s));
  if (absent.length > 0)
    lines.push(
      `  (no ${absent.join(' or ')} entry: ${absent.includes('vault') ? 'KES served from its cache, or ' : ''}the log is elsewhere or off)`,
    );
  return `${lines.join('\n')}\n`;
}
