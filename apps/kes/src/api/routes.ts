// The route table (docs/kes-protocol.md#routes). One row per API; the pipeline in pipeline.ts runs
// the same steps for each.
import * as key from './handlers/key.js';
import * as log from './handlers/log.js';
import * as policy from './handlers/policy.js';
import * as sys from './handlers/sys.js';
import type { Route } from './types.js';

const MiB = 1 << 20;
const s15 = 15_000;

/** Every HEAD route plus the legacy bulk decrypt; timeouts may be overridden by config `api`. */
export function routeTable(timeouts: Record<string, number> = {}): Route[] {
  const t = (path: string, def: number): number => timeouts[path.replace(/\/$/, '')] ?? def;
  const rows: Array<Omit<Route, 'timeoutMs' | 'audit'> & { timeoutMs?: number; audit?: boolean }> = [
    { method: 'GET', path: '/version', maxBody: 0, timeoutMs: 10_000, auth: 'none', handler: sys.getVersion },
    { method: 'GET', path: '/v1/ready', maxBody: 0, auth: 'policy', handler: sys.getReady },
    { method: 'GET', path: '/v1/status', maxBody: 0, auth: 'policy', handler: sys.getStatus },
    { method: 'GET', path: '/v1/metrics', maxBody: 0, auth: 'policy', handler: sys.getMetrics },
    { method: 'GET', path: '/v1/api', maxBody: 0, timeoutMs: 10_000, auth: 'policy', handler: sys.listAPIs },

    { method: 'PUT', path: '/v1/key/create/', maxBody: 0, auth: 'policy', handler: key.createKey },
    { method: 'PUT', path: '/v1/key/import/', maxBody: MiB, auth: 'policy', handler: key.importKey },
    { method: 'GET', path: '/v1/key/describe/', maxBody: 0, auth: 'policy', handler: key.describeKey },
    { method: 'GET', path: '/v1/key/list/', maxBody: 0, auth: 'policy', handler: key.listKeys },
    { method: 'DELETE', path: '/v1/key/delete/', maxBody: 0, auth: 'policy', handler: key.deleteKey },
    { method: 'PUT', path: '/v1/key/generate/', maxBody: MiB, auth: 'policy', handler: key.generateKey },
    { method: 'PUT', path: '/v1/key/encrypt/', maxBody: MiB, auth: 'policy', handler: key.encryptKey },
    { method: 'PUT', path: '/v1/key/decrypt/', maxBody: MiB, auth: 'policy', handler: key.decryptKey },
    { method: 'PUT', path: '/v1/key/hmac/', maxBody: MiB, auth: 'policy', handler: key.hmacKey },
    {
      method: 'POST',
      path: '/v1/key/bulk/decrypt/',
      maxBody: MiB,
      auth: 'policy',
      handler: key.bulkDecryptKey,
    },

    {
      method: 'GET',
      path: '/v1/policy/describe/',
      maxBody: 0,
      auth: 'policy',
      handler: policy.describePolicy,
    },
    { method: 'GET', path: '/v1/policy/read/', maxBody: 0, auth: 'policy', handler: policy.readPolicy },
    { method: 'GET', path: '/v1/policy/list/', maxBody: 0, auth: 'policy', handler: policy.listPolicies },
    {
      method: 'GET',
      path: '/v1/identity/describe/',
      maxBody: 0,
      auth: 'policy',
      handler: policy.describeIdentity,
    },
    { method: 'GET', path: '/v1/identity/list/', maxBody: 0, auth: 'policy', handler: policy.listIdentities },
    {
      method: 'GET',
      path: '/v1/identity/self/describe',
      maxBody: 0,
      auth: 'identify',
      handler: policy.selfDescribeIdentity,
    },

    {
      method: 'GET',
      path: '/v1/log/error',
      maxBody: 0,
      timeoutMs: 0,
      auth: 'policy',
      audit: false,
      handler: log.logError,
    },
    {
      method: 'GET',
      path: '/v1/log/audit',
      maxBody: 0,
      timeoutMs: 0,
      auth: 'policy',
      audit: false,
      handler: log.logAudit,
    },
  ];
  return rows.map((r) => ({ ...r, timeoutMs: t(r.path, r.timeoutMs ?? s15), audit: r.audit ?? true }));
}
