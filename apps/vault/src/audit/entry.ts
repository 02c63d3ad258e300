// The audit entries as Vault writes them: one JSON object per line, `type` "request" before the
// request runs and "response" after it, with `auth`, `request`, `response` and `error`. Empty
// fields are left out as Go's `omitempty` does; keys keep Vault's order (docs/vault.md#audit).
import type { TokenEntry } from '../tokens.js';
import type { Operation } from '../types.js';
import { type AuditSalt, hashValues } from './hash.js';

/** What the core knows about a request when it audits it. */
export interface AuditRequest {
  /** The request id, also the `request_id` of the response envelope. */
  id: string;
  operation: Operation;
  /** Full path after `/v1/`. */
  path: string;
  data: Record<string, unknown>;
  /** The token as presented (never written clear unless the device logs raw). */
  clientToken?: string | undefined;
  /** The token's entry once it was found. */
  token?: TokenEntry | undefined;
  remoteAddress: string;
  remotePort?: number | undefined;
  /** Request headers (lower-case names); only the configured ones are written. */
  headers?: Record<string, string | string[] | undefined> | undefined;
  mount?: { point: string; type: string; accessor: string } | undefined;
  /** The ACL's verdict, once taken. */
  allowed?: boolean | undefined;
  /** A request a standby forwarded: its address (`forwarded_from`, and `forwarded` on the response). */
  forwardedFrom?: string | undefined;
  /** HMACs already computed for this request, per device salt (both entries share them). */
  memo?: Map<AuditSalt, Map<string, string>> | undefined;
}

/** The response part of a response entry (or the error the request ended with). */
export interface AuditResponse {
  data?: Record<string, unknown> | null | undefined;
  auth?: Record<string, unknown> | null | undefined;
  warnings?: string[] | undefined;
  error?: string | undefined;
}

/** How a device writes: hashed or raw, accessors hashed or clear. */
export interface FormatOptions {
  raw: boolean;
  hmacAccessor: boolean;
}

/** Drops Go's zero values ("" 0 false null, empty list or map) from a struct-like object. */
function omitEmpty(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined || v === null || v === '' || v === 0 || v === false) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0) continue;
    out[k] = v;
  }
  return out;
}

const clearAddress = (a: string): string => a.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');

/** Vault's auth section for the token that made the request. */
function requestAuth(
  t: TokenEntry | undefined,
  allowed: boolean | undefined,
  hide: (s: string) => string,
  hideAccessor: (s: string) => string,
) {
  if (!t) return { token_type: 'default' };
  return omitEmpty({
    client_token: hide(t.id),
    accessor: hideAccessor(t.accessor),
    display_name: t.displayName,
    policies: t.policies,
    token_policies: t.policies,
    ...(allowed !== undefined ? { policy_results: { allowed } } : {}),
    metadata: t.meta,
    remaining_uses: Math.max(t.numUses, 0),
    entity_id: t.entityId,
    token_type: 'service',
    token_ttl: t.creationTtl,
    token_issue_time: new Date(t.issueAt || t.creationTime * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  });
}

/** The `auth` block a response hands out (a login, a token create): its token is hashed too. */
function responseAuth(
  a: Record<string, unknown>,
  hide: (s: string) => string,
  hideAccessor: (s: string) => string,
) {
  return omitEmpty({
    client_token: typeof a['client_token'] === 'string' ? hide(a['client_token']) : undefined,
    accessor: typeof a['accessor'] === 'string' ? hideAccessor(a['accessor']) : undefined,
    display_name: a['display_name'],
    policies: a['policies'],
    token_policies: a['token_policies'],
    metadata: a['metadata'],
    num_uses: a['num_uses'],
    entity_id: a['entity_id'],
    token_type: a['token_type'],
    token_ttl: a['lease_duration'],
  });
}

/**
 * One entry line (without the device's prefix). `headers` are the request headers the audited
 * header config lets through, already hashed where it asks.
 */
export function formatEntry(
  type: 'request' | 'response',
  req: AuditRequest,
  res: AuditResponse | undefined,
  headers: Record<string, string[]>,
  salt: AuditSalt,
  opts: FormatOptions,
  now: Date = new Date(),
): string {
  let memo = req.memo?.get(salt);
  if (!memo) {
    memo = new Map();
    req.memo?.set(salt, memo);
  }
  const m = memo;
  const hide = opts.raw ? (s: string) => s : (s: string) => (s === '' ? s : salt.memoHmac(s, m));
  const hideAccessor = opts.hmacAccessor ? hide : (s: string) => s;
  const data = (d: Record<string, unknown> | null | undefined) =>
    d == null ? undefined : opts.raw ? d : (hashValues(d, hide) as Record<string, unknown>);
  const mount = req.mount;
  const request = omitEmpty({
    id: req.id,
    operation: req.operation,
    mount_point: mount?.point,
    mount_type: mount?.type,
    mount_accessor: mount?.accessor,
    client_token: req.clientToken ? hide(req.clientToken) : undefined,
    client_token_accessor: req.token ? hideAccessor(req.token.accessor) : undefined,
    namespace: { id: 'root' },
    path: req.path,
    data: data(req.data),
    remote_address: clearAddress(req.remoteAddress),
    remote_port: req.remotePort,
    headers,
  });
  const entry: Record<string, unknown> = {
    time: now.toISOString(),
    type,
    auth: requestAuth(req.token, req.allowed, hide, hideAccessor),
    request,
  };
  if (type === 'response') {
    entry['response'] = omitEmpty({
      mount_point: mount?.point,
      mount_type: mount?.type,
      mount_accessor: mount?.accessor,
      auth: res?.auth ? responseAuth(res.auth, hide, hideAccessor) : undefined,
      data: data(res?.data),
      warnings: res?.warnings,
    });
  }
  if (res?.error) entry['error'] = res.error;
  if (type === 'request') entry['forwarded_from'] = req.forwardedFrom;
  else entry['forwarded'] = req.forwardedFrom !== undefined;
  return goJson(omitEmpty(entry));
}

/** JSON as Go's encoder writes it: `<`, `>`, `&` and the JS line separators escaped. */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
