// MinIO's v2 metrics endpoints as a fastify plugin (docs/observability.md#the-object-stores-metrics):
//   GET /minio/v2/metrics/cluster   S3 requests and traffic, KMS, usage, process
//   GET /minio/v2/metrics/node      S3 requests and traffic, process
//   GET /minio/v2/metrics/bucket    usage per bucket
// Each wants `Authorization: Bearer <JWT>` as `mc admin prometheus generate` makes it
// (prometheus-token.ts) unless MINIO_PROMETHEUS_AUTH_TYPE=public; anything else answers 403
// AccessDenied in JSON, as MinIO's metrics handler does.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Credentials } from '../config/env.js';
import { S3Error } from '../errors.js';
import type { MeteredKms } from '../kms/metered.js';
import { ERROR_FORMAT_JSON } from '../s3/errors.js';
import type { FsStore } from '../storage/fs-store.js';
import { createMetrics, type MinioMetrics } from './metrics-registry.js';
import { bearerToken, isPrometheusToken } from './prometheus-token.js';
import { S3Stats } from './s3-stats.js';

export interface MetricsOptions {
  metrics: MinioMetrics;
  credentials: Credentials;
  /** MINIO_PROMETHEUS_AUTH_TYPE: `jwt` (the default) or `public` (no authentication). */
  authType: 'jwt' | 'public';
  /** The `server` label: this node's host:port. */
  serverName: () => string;
}

const metricsRoutes: FastifyPluginAsync<MetricsOptions> = async (app, opts) => {
  const endpoints = [
    ['/minio/v2/metrics/cluster', opts.metrics.cluster],
    ['/minio/v2/metrics/node', opts.metrics.node],
    ['/minio/v2/metrics/bucket', opts.metrics.bucket],
  ] as const;
  for (const [url, registry] of endpoints) {
    app.route({
      method: 'GET',
      url,
      config: ERROR_FORMAT_JSON,
      handler: async (req, reply) => {
        if (opts.authType !== 'public') {
          const token = bearerToken(req.headers.authorization);
          if (token === undefined || !isPrometheusToken(token, opts.credentials)) {
            throw new S3Error('AccessDenied');
          }
        }
        opts.metrics.setServer(opts.serverName());
        const text = await registry.metrics();
        return reply.header('content-type', registry.contentType).send(text);
      },
    });
  }
};

/** This node as MinIO's `server` label names it: host:port, the host name when bound to every address. */
function serverName(app: FastifyInstance): string {
  const a = app.server.address() as AddressInfo | null;
  if (!a || typeof a !== 'object') return hostname();
  const host = a.address === '::' || a.address === '0.0.0.0' ? hostname() : a.address;
  return host.includes(':') ? `[${host}]:${a.port}` : `${host}:${a.port}`;
}

/**
 * Counts every S3 request of `app` and serves the three metrics endpoints over `store` and `kms` (the
 * counted KMS the server uses). Call once, before the routes are registered.
 */
export function serveMetrics(
  app: FastifyInstance,
  o: { store: FsStore; kms: MeteredKms | undefined; credentials: Credentials; authType: 'jwt' | 'public' },
): void {
  const s3 = new S3Stats();
  s3.observe(app.server as unknown as Server);
  const metrics = createMetrics({ s3, kms: o.kms, usage: () => o.store.usage() });
  app.register(metricsRoutes, {
    metrics,
    credentials: o.credentials,
    authType: o.authType,
    serverName: () => serverName(app),
  });
}
