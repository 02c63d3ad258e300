// The chain's three audit logs (docs/observability.md#audit-and-trace): where the launcher has each
// server write its own, and the Vault side of it — a file audit device and the request headers that
// carry the object store's request id (X-Request-Id, traceparent) into Vault's entries. The trace
// command reads the same paths.
import { join } from 'node:path';
import { httpsJson } from './https-json.js';

/** The request headers KES forwards and Vault's audit entries record, unhashed (they are ids). */
export const TRACE_HEADERS = ['X-Request-Id', 'traceparent'] as const;

/** The audit log of each server in a chain directory (`logs/` beside the servers' output). */
export function chainAuditFiles(dir: string): { minio: string; kes: string; vault: string } {
  return {
    minio: join(dir, 'logs', 'minio-audit.log'),
    kes: join(dir, 'logs', 'kes-audit.log'),
    vault: join(dir, 'logs', 'vault-audit.log'),
  };
}

/** The audit file of the i-th KES of a chain (the first: chainAuditFiles().kes). */
export function kesAuditFile(dir: string, i: number): string {
  return i === 0 ? chainAuditFiles(dir).kes : join(dir, 'logs', `kes-${i}-audit.log`);
}

/** A `[log.audit]` table for a KES TOML config, appended to the generated file. */
export function kesAuditToml(file: string): string {
  return `\n[log.audit]\nfile = [ ${JSON.stringify(file)} ]\n`;
}

/**
 * Enables a file audit device at `file/` writing `file` (unless one is enabled there already) and
 * has Vault record TRACE_HEADERS in its entries. Resolves to false, changing nothing, when this
 * Vault has no audit devices (sys/audit answers 404 or 405); rejects on any other failure.
 */
export async function enableVaultAudit(
  vaultUrl: string,
  ca: string,
  rootToken: string,
  file: string,
): Promise<boolean> {
  const api = (path: string, method = 'GET', body?: unknown) =>
    // An HA standby answers 307 to the active node, as Vault's clients follow.
    httpsJson(`${vaultUrl}/v1/${path}`, {
      ca,
      token: rootToken,
      method,
      followRedirects: 3,
      ...(body ? { body } : {}),
    });
  const listed = await api('sys/audit');
  if (listed.status === 404 || listed.status === 405) return false;
  if (listed.status !== 200)
    throw new Error(`vault audit list: HTTP ${listed.status}: ${JSON.stringify(listed.body)}`);
  const devices = (listed.body?.data ?? listed.body ?? {}) as Record<string, { type?: string }>;
  if (!devices['file/']) {
    const made = await api('sys/audit/file', 'PUT', { type: 'file', options: { file_path: file } });
    if (made.status !== 204 && made.status !== 200)
      throw new Error(`vault audit enable file: HTTP ${made.status}: ${JSON.stringify(made.body)}`);
  }
  for (const header of TRACE_HEADERS) {
    const set = await api(`sys/config/auditing/request-headers/${header}`, 'PUT', { hmac: false });
    if (set.status !== 204 && set.status !== 200)
      throw new Error(`vault audited header ${header}: HTTP ${set.status}: ${JSON.stringify(set.body)}`);
  }
  return true;
}
