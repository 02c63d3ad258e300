// buildServer(config) → a fastify app over mTLS, not yet listening (the CLI calls listen).
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Server as TlsServer } from 'node:tls';
import { type Logger, logCompletedRequest, requestLogger } from '@kms-chain/log';
import { KesPolicy } from '@kms-chain/policy';
import { mtlsServerOptions, parseTlsThroughStream } from '@kms-chain/tls-identity';
import fastify, { type FastifyError, type FastifyInstance, LogController } from 'fastify';
import { pipeline, sendError } from './api/pipeline.js';
import { routeTable } from './api/routes.js';
import type { ServerState } from './api/types.js';
import { KeyCache } from './cache.js';
import type { ServerConfig } from './config/types.js';
import { errBodyTooLarge, errInvalidBody, errNotFoundRoute, KesError } from './errors.js';
import { newKey } from './key.js';
import { openKeystore } from './keystore/index.js';
import { KeyExistsError, type Keystore } from './keystore/keystore.js';
import { Logs } from './log.js';
import { Metrics } from './metrics.js';

export interface BuildOptions {
  /** Use this keystore instead of opening the configured one (tests, --dev). */
  keystore?: Keystore;
  /** Log targets; default: errors to stderr when `config.log.error`, audit to stdout when `config.log.audit`. */
  logs?: Logs;
  /** TLS material as PEM; default: read `config.tls.key` / `config.tls.cert` / `config.tls.ca`. */
  tls?: { key: string; cert: string; ca?: string };
  /** Offline-probe interval of the cache (ms); KES uses 10 s. */
  cacheProbeMs?: number;
}

export type KesServer = FastifyInstance & { kes: ServerState };

const pkgVersion = (): string => {
  try {
    return (createRequire(import.meta.url)('../package.json') as { version: string }).version;
  } catch {
    return '0.0.0';
  }
};

function readPem(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(
      `failed to read TLS ${what} '${path}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

function buildPolicies(config: ServerConfig): Pick<ServerState, 'policyOf' | 'policies'> {
  const policyOf = new Map<string, { name: string; policy: KesPolicy }>();
  const policies = new Map<string, { allow: string[]; deny: string[] }>();
  for (const p of config.policies) {
    const policy = new KesPolicy(p.name, { allow: p.allow, deny: p.deny }, config.policyMatch);
    policies.set(p.name, { allow: p.allow, deny: p.deny });
    for (const id of p.identities) policyOf.set(id, { name: p.name, policy });
  }
  return { policyOf, policies };
}

/**
 * Applies a re-read config's policies, identities, admin and error spelling (SIGHUP). The keystore,
 * cache, TLS and address stay as started: changing those needs a restart (documented in README).
 * Throws (and changes nothing) when a policy pattern is invalid.
 */
export function reloadPolicies(app: KesServer, next: ServerConfig): void {
  const built = buildPolicies(next);
  const state = app.kes;
  state.policyOf = built.policyOf;
  state.policies = built.policies;
  state.config = {
    ...state.config,
    admin: next.admin,
    policies: next.policies,
    policyMatch: next.policyMatch,
    errors: next.errors,
  };
}

/** Builds the KES server: keystore, cache, policies, logs, metrics and the route table. */
export async function buildServer(config: ServerConfig, opts: BuildOptions = {}): Promise<KesServer> {
  const logs =
    opts.logs ??
    new Logs({
      errorToStderr: config.log.error,
      auditToStdout: config.log.audit && config.log.auditFiles.length === 0,
      errorFiles: config.log.errorFiles,
      auditFiles: config.log.auditFiles,
      level: config.log.level,
      format: config.log.format,
    });
  const tlsPem = opts.tls ?? {
    key: readPem(config.tls.key, 'private key'),
    cert: readPem(config.tls.cert, 'certificate'),
    ca: config.tls.ca ? readPem(config.tls.ca, 'CA certificate') : undefined,
  };
  const keystore = opts.keystore ?? (await openKeystore(config.keystore, (m) => logs.error(m)));
  const keys = new KeyCache(keystore, {
    anyMs: config.cache.anyMs,
    unusedMs: config.cache.unusedMs,
    offlineMs: config.cache.offlineMs,
    probeMs: opts.cacheProbeMs,
  });
  const startedAt = Date.now();
  const metrics = new Metrics(logs, startedAt);
  const { policyOf, policies } = buildPolicies(config);
  const routes = routeTable(config.timeouts);
  const state: ServerState = {
    config,
    keys,
    logs,
    metrics,
    policyOf,
    policies,
    startedAt,
    routes,
    version: { version: pkgVersion(), commit: '' },
    streams: new Set(),
  };

  // With skip_auth routes the handshake only requests a certificate; the pipeline then enforces it.
  const clientAuth = config.skipAuth.length > 0 ? 'request' : config.tls.clientAuth;
  const https = mtlsServerOptions({
    cert: tlsPem.cert,
    key: tlsPem.key,
    password: config.tls.password,
    ca: tlsPem.ca,
    clientAuth,
    minVersion: 'TLSv1.2',
  });
  const app = fastify({
    https,
    loggerInstance: logs.logger,
    // fastify's own request lines off: the onResponse hook below writes one line per request.
    logController: new LogController({ disableRequestLogging: true }),
    // Each request's logger is made on its first line (most write none at info).
    childLoggerFactory: (logger: Logger, bindings: Record<string, unknown>, options: object) =>
      requestLogger(logger, bindings, options),
    genReqId: () => randomUUID(),
    exposeHeadRoutes: false,
    keepAliveTimeout: 90_000,
    bodyLimit: 1 << 20,
    return503OnClosing: false,
  } as Parameters<typeof fastify>[0]) as unknown as KesServer;
  app.decorate('kes', state);
  // KES reads request headers within 5 s; idle keep-alive connections live 90 s
  // (docs/kes-protocol.md#transport-and-common-rules).
  app.server.headersTimeout = 5_000;
  // A request that arrives while a response still drains waits for it instead of resetting the
  // connection (Node's parser over TLS; see @kms-chain/tls-identity tls-backpressure.ts).
  parseTlsThroughStream(app.server as unknown as TlsServer);

  // One debug line per request under its id, with the caller's X-Request-Id (the object store's
  // x-amz-request-id) when it sent one, so that the two logs join. Registered only at debug and
  // below: above it, requests pay nothing for it.
  if (logs.logger.isLevelEnabled('debug')) app.addHook('onResponse', logCompletedRequest);

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendError(reply, errBodyTooLarge());
    if (err instanceof KesError) return sendError(reply, err);
    if (typeof err.statusCode === 'number' && err.statusCode < 500) return sendError(reply, errInvalidBody());
    logs.error(`kes: ${err.message}`, { reqId: req.id });
    return sendError(reply, new KesError(500, 'internal server error'));
  });
  app.setNotFoundHandler((_req, reply) => {
    reply.code(404).type('text/plain; charset=utf-8').send(`${errNotFoundRoute().message}\n`);
  });

  const allMethods = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'] as const;
  for (const route of routes) {
    const { admit, handle } = pipeline(route, state);
    const bodyLimit = Math.max(route.maxBody, 1 << 20);
    const common = { method: [...allMethods], bodyLimit, onRequest: admit, handler: handle };
    if (route.path.endsWith('/')) {
      app.route({ ...common, url: `${route.path}*` });
      app.route({ ...common, url: route.path.slice(0, -1) });
    } else {
      app.route({ ...common, url: route.path });
    }
  }

  app.addHook('onReady', async () => {
    for (const name of config.keys) {
      try {
        await keys.create(name, newKey(config.admin ?? ''));
      } catch (err) {
        if (!(err instanceof KeyExistsError))
          logs.error(`kes: failed to create key '${name}': ${(err as Error).message}`);
      }
    }
  });
  // Log streams never finish on their own; end them before the server waits for open requests.
  app.addHook('preClose', async () => {
    for (const end of [...state.streams]) end();
  });
  app.addHook('onClose', async () => {
    await keys.close();
    if (!opts.logs) await logs.close();
  });
  return app;
}
