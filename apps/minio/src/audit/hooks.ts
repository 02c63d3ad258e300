// The request-context hook every server runs, and the audit hook that turns each finished request into
// one entry for every target.
import type { FastifyInstance } from 'fastify';
import { requestInfoOf, runInRequest } from '../http/request-context.js';
import { auditEntry } from './entry.js';
import type { AuditTarget } from './targets.js';

/**
 * Enters the request's context (http/request-context.ts) for the rest of the hook chain and the
 * handler. Register it first, so that every later hook and the handler run inside it.
 */
export function trackRequests(app: FastifyInstance): void {
  app.addHook('onRequest', (req, _reply, done) => runInRequest(req.raw, req.id, done));
}

/**
 * Probes MinIO does not audit: the health checks and the Prometheus scrapes, which a load balancer and
 * a scraper repeat every few seconds.
 */
const UNAUDITED = ['/minio/health/', '/minio/v2/metrics/'];

/**
 * Writes one audit entry per finished request (probes aside) to each target; targets close with the
 * server.
 */
export function auditRequests(app: FastifyInstance, targets: AuditTarget[]): void {
  if (targets.length === 0) return;
  app.addHook('onResponse', async (req, reply) => {
    const info = requestInfoOf(req.raw);
    const url = req.raw.url ?? '/';
    if (!info || UNAUDITED.some((p) => url.startsWith(p))) return;
    const line = JSON.stringify(
      auditEntry({
        info,
        url,
        remoteAddress: req.raw.socket?.remoteAddress,
        requestHeaders: req.headers,
        responseHeaders: reply.getHeaders(),
        statusCode: reply.statusCode,
        elapsedMs: reply.elapsedTime,
        time: new Date(),
      }),
    );
    for (const t of targets) t.send(line);
  });
  app.addHook('onClose', async () => {
    await Promise.all(targets.map((t) => t.close()));
  });
}
