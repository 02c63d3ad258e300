// buildServer(config): the fastify app of the object store, not yet listening. Bodies are never parsed
// by fastify: the S3 handlers read the raw request stream.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Server as TlsServer } from 'node:tls';
import { completionFields, type Logger, requestLogger } from '@kms-chain/log';
import { parseTlsThroughStream } from '@kms-chain/tls-identity';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
  LogController,
} from 'fastify';
import { health } from './admin/health.js';
import { kmsAdmin } from './admin/kms-admin.js';
import { serveMetrics } from './admin/metrics.js';
import { auditRequests, trackRequests } from './audit/hooks.js';
import type { AuditTarget } from './audit/targets.js';
import { isS3Error, S3Error } from './errors.js';
import { corsHeaders, DEFAULT_CORS_ALLOW_ORIGINS, isPreflight } from './http/cors.js';
import { deferContinue } from './http/early-answers.js';
import { closeIdleAfterReads } from './http/idle-close.js';
import type { Kms } from './kms/kms.js';
import { MeteredKms } from './kms/metered.js';
import { isJsonErrorRoute, renderError, renderErrorJson, storageToS3Error } from './s3/errors.js';
import { handleS3, type RouterConfig } from './s3/routes.js';
import { IdleCollector, releaseIdleMemory, settleIdleMemory } from './server/idle-collect.js';
import { BucketEncryptionStore } from './sse/bucket-encryption.js';
import { SseService } from './sse/service.js';
import { FsStore } from './storage/fs-store.js';

/** Everything the server needs; see config/env.ts for how the CLI fills it. */
export interface ServerConfig extends RouterConfig {
  /** The data directory (`minio server DIR`). */
  dataDir: string;
  /** PEM key and certificate; plain HTTP when absent. */
  tls?: { key: Buffer; cert: Buffer } | undefined;
  /**
   * The server's logger (cli/server.ts makes it from MINIO_LOG_LEVEL and MINIO_LOG_FORMAT): each
   * request's completion at debug under its x-amz-request-id, errors with their cause. None in tests.
   */
  logger?: Logger | undefined;
  /** The KMS for SSE-S3/SSE-KMS (KES or a static key); none = those answer 501. */
  kms?: Kms | undefined;
  /** MINIO_KMS_AUTO_ENCRYPTION=on. */
  autoEncryption?: boolean | undefined;
  /** MINIO_API_SSEC_ALLOW_INSECURE=on: SSE-C over plain HTTP (behind a TLS-terminating proxy). */
  allowInsecureSseC?: boolean | undefined;
  /** MINIO_API_CORS_ALLOW_ORIGIN: origin patterns CORS allows; every origin when absent. */
  corsAllowOrigins?: string[] | undefined;
  /** A full garbage collection this long after the last request (ms; default 2000, 0: never). */
  idleCollectMs?: number | undefined;
  /** MINIO_PROMETHEUS_AUTH_TYPE: `jwt` (default) or `public` for /minio/v2/metrics/*. */
  prometheusAuthType?: 'jwt' | 'public' | undefined;
  /** Audit targets (MINIO_AUDIT_*): one entry per request to each; closed with the server. */
  audit?: AuditTarget[] | undefined;
}

let requestSeq = 0n;

/**
 * Request ids as MinIO makes them: the time in nanoseconds as uppercase hex (16 characters), here with a
 * per-process counter in the sub-millisecond digits so that ids never repeat.
 */
function requestId(): string {
  requestSeq = (requestSeq + 1n) % 1_000_000n;
  return (BigInt(Date.now()) * 1_000_000n + requestSeq).toString(16).toUpperCase();
}

/** Builds the object store's HTTP(S) app; `ready()` creates the data directory's system folders. */
export function buildServer(config: ServerConfig): FastifyInstance {
  const store = new FsStore(config.dataDir);
  // Every KMS call is counted for the metrics (minio_cluster_kms_request_*).
  const kms = config.kms && new MeteredKms(config.kms);
  const sse = new SseService({
    kms,
    autoEncryption: config.autoEncryption,
    allowInsecureSseC: config.allowInsecureSseC,
    buckets: new BucketEncryptionStore(store),
  });
  const routerConfig = { ...config, sse };
  const options = {
    ...(config.logger
      ? {
          loggerInstance: config.logger as FastifyBaseLogger,
          // Each request's logger is made on its first line (most write none at info).
          childLoggerFactory: (
            logger: FastifyBaseLogger,
            bindings: Record<string, unknown>,
            options: object,
          ) => requestLogger(logger as Logger, bindings, options),
        }
      : { logger: false }),
    // fastify's own request lines off: the onResponse hook below writes one line per request.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: requestId,
    // Keys reach 1024 bytes, three times that percent-encoded.
    routerOptions: { maxParamLength: 16 * 1024 },
    // Uploads of large objects take long; the body stream itself is the timeout's business.
    requestTimeout: 0,
    forceCloseConnections: true,
    return503OnClosing: true,
    frameworkErrors: (err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
      const s3 = new S3Error('InvalidArgument', `Bad request: ${err.message}`);
      reply.code(400).header('content-type', 'application/xml').send(renderError(s3, req.id));
    },
  } satisfies FastifyServerOptions;
  const app = (
    config.tls
      ? // TLS 1.2 at least, as MinIO; set here so that no NODE_OPTIONS (--tls-min-v1.0) can lower it.
        Fastify({ ...options, https: { key: config.tls.key, cert: config.tls.cert, minVersion: 'TLSv1.2' } })
      : Fastify(options)
  ) as FastifyInstance;
  // First of all hooks: the request's id and audit facts follow it down to the KES client.
  trackRequests(app);
  auditRequests(app, config.audit ?? []);

  // Node answers 417 by itself to an Expect other than 100-continue unless someone handles the event.
  app.server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    app.server.emit('request', req, res);
  });
  // 100 Continue only once a handler reads the body; unread bodies drained or the connection closed.
  deferContinue(app.server as unknown as Server);
  // Over TLS a request arriving while the previous answer still drains must wait, not reset the connection.
  if (config.tls) parseTlsThroughStream(app.server as unknown as TlsServer);
  // An idle kept-alive connection closes only once a request that reached it before the deadline is read.
  closeIdleAfterReads(app.server as unknown as Server);

  // Bodies are the handlers' to stream and verify: fastify treats no method as carrying one, so it never
  // parses a body, whatever its Content-Type (any value, even malformed, is S3's to store), and never
  // reads one before a handler does (docs/s3.md#content-type).
  for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])
    app.addHttpMethod(method, { hasBody: false, overrideExisting: true });

  app.addHook('onReady', async () => {
    await store.init();
    void store.sweepDone().then(
      (swept) => {
        if (Object.values(swept).some((n) => n > 0))
          app.log.warn({ swept }, 'removed what an interrupted earlier run left in the data directory');
      },
      (err) => app.log.error({ err }, 'the startup sweep of the data directory failed'),
    );
  });
  // Registered only at debug and below: above it, the S3 hot path pays nothing for it.
  if (config.logger?.isLevelEnabled('debug'))
    app.addHook('onResponse', async (req, reply) => {
      req.log.debug(
        completionFields(req.method, req.url, reply.statusCode, reply.elapsedTime),
        'request completed',
      );
    });
  const idleCollectMs = config.idleCollectMs ?? 2000;
  if (idleCollectMs > 0) {
    const idle = new IdleCollector({
      quietMs: idleCollectMs,
      collect: () => releaseIdleMemory(() => store.dropCaches()),
      settle: settleIdleMemory,
    });
    app.addHook('onRequest', async () => idle.touch());
    app.addHook('onResponse', async () => idle.touch());
    app.addHook('onClose', async () => idle.stop());
  }
  const corsOrigins = config.corsAllowOrigins ?? DEFAULT_CORS_ALLOW_ORIGINS;
  app.addHook('onRequest', async (req, reply) => {
    for (const [name, value] of Object.entries(corsHeaders(req.raw, corsOrigins)))
      reply.raw.setHeader(name, value);
    reply.raw.setHeader('x-amz-request-id', req.id);
    reply.raw.setHeader('x-amz-id-2', req.id);
    reply.raw.setHeader('server', 'MinIO');
    reply.raw.setHeader('x-content-type-options', 'nosniff');
  });

  app.register(health, { kms });
  serveMetrics(app, {
    store,
    kms,
    credentials: config.credentials,
    authType: config.prometheusAuthType ?? 'jwt',
  });
  // OPTIONS is CORS's: a preflight answers 204 with the CORS headers alone, any other OPTIONS an empty
  // 200, as MinIO does (docs/s3.md#cors).
  app.route({
    method: 'OPTIONS',
    url: '/*',
    handler: async (req, reply) => reply.code(isPreflight(req.raw) ? 204 : 200).send(),
  });
  app.register(kmsAdmin, { credentials: config.credentials, sse });
  app.route({
    method: ['GET', 'HEAD', 'PUT', 'POST', 'DELETE'],
    url: '/*',
    exposeHeadRoute: false,
    handler: (req, reply) => handleS3(req, reply, store, routerConfig),
  });

  app.setNotFoundHandler(async (req, reply) => {
    const err = new S3Error('MethodNotAllowed', undefined, { resource: req.raw.url?.split('?')[0] });
    return reply.code(err.status).header('content-type', 'application/xml').send(renderError(err, req.id));
  });

  app.setErrorHandler(async (error, req, reply) => {
    let err: S3Error;
    const mapped = storageToS3Error(error);
    if (isS3Error(mapped)) err = mapped;
    else if (isIncompleteBody(error)) err = new S3Error('IncompleteBody');
    else {
      req.log.error({ err: error }, 'internal error');
      err = new S3Error('InternalError');
    }
    if (reply.sent || reply.raw.headersSent) {
      reply.raw.destroy();
      return;
    }
    if (!err.context.resource) err.context.resource = req.raw.url?.split('?')[0];
    reply.code(err.status).headers(err.headers);
    // A HEAD answer has no body: MinIO names the error in headers instead, which minio-js and
    // minio-go read (docs/s3.md#head-errors).
    if (req.method === 'HEAD')
      reply.headers({
        'x-minio-error-code': err.code,
        'x-minio-error-desc': `"${err.message.replace(/[\r\n"]/g, ' ')}"`,
      });
    if (err.status === 304) return reply.send();
    if (isJsonErrorRoute(req.routeOptions.config)) {
      return reply.header('content-type', 'application/json').send(renderErrorJson(err, req.id));
    }
    return reply.header('content-type', 'application/xml').send(renderError(err, req.id));
  });

  return app;
}

// A body cut short by the client surfaces as an 'aborted' / ECONNRESET error on the request stream.
function isIncompleteBody(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return (
    code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || (err as Error)?.message === 'aborted'
  );
}
