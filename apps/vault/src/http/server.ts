// HTTP front: one catch-all route under /v1/ that turns requests into LogicalRequests, serves
// the unauthenticated sys endpoints itself, and renders every response in Vault's envelope and
// every error as `{"errors":[...]}` with `Content-Type: application/json`.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { type Logger, logCompletedRequest, requestLogger } from '@kms-chain/log';
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerFactory,
  LogController,
} from 'fastify';
import type { Forwarder } from '../cluster/forwarder.js';
import { isClusterSocket } from '../cluster/listener.js';
import type { Core } from '../core.js';
import { badRequest, StandbyError, toErrorResponse, VaultError } from '../errors.js';
import type { LogicalResponse, Operation, RawBody } from '../types.js';
import {
  ANSWERED_HERE,
  clientAddrOf,
  forwardFromStandby,
  redirectLocation,
  standbyFront,
} from './forwarding.js';

export interface HttpOptions {
  core: Core;
  /** Bytes; larger bodies are refused with 413 (default 32 MiB). */
  maxRequestSize?: number;
  /** Seconds (default 90). */
  maxRequestDuration?: number;
  /** The app is served over TLS (adds Strict-Transport-Security); see listen.ts. */
  tls?: boolean;
  /**
   * The server's logger (cli/server.ts makes it from log_level and log_format): each request's
   * completion at debug under its request id, the `request_id` of its response. None in tests.
   */
  logger?: Logger;
  /** The listener's `telemetry { unauthenticated_metrics_access }`: sys/metrics needs no token. */
  unauthenticatedMetricsAccess?: boolean;
  /** HA: a standby forwards requests to the active node through it (else it redirects them). */
  forwarder?: Forwarder;
}

const JSON_TYPE = 'application/json';

/** Builds the fastify app without listening (tests use `inject`, the CLI calls `listen`). */
export function buildServer(opts: HttpOptions): FastifyInstance {
  const core = opts.core;
  const bodyLimit = opts.maxRequestSize ?? 32 * 1024 * 1024;
  const extraHeaders: Record<string, string> = { 'Cache-Control': 'no-store' };
  if (opts.tls) extraHeaders['Strict-Transport-Security'] = 'max-age=31536000; includeSubDomains';
  const forwarder = opts.forwarder;
  const app = Fastify({
    ...(opts.logger
      ? {
          loggerInstance: opts.logger,
          // Each request's logger is made on its first line (most write none at info).
          childLoggerFactory: (logger, bindings, options) =>
            requestLogger(logger as Logger, bindings, options),
        }
      : { logger: false }),
    // fastify's own request lines off: the onResponse hook below writes one line per request.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => randomUUID(),
    bodyLimit,
    requestTimeout: (opts.maxRequestDuration ?? 90) * 1000,
    // On a node that may stand by, forwarding comes before the router (http/forwarding.ts). At
    // debug level every request takes the router, so that each gets its line in this node's log.
    ...(forwarder && !opts.logger?.isLevelEnabled('debug')
      ? {
          serverFactory: frontedServer((router) =>
            standbyFront({ core, forwarder, maxRequestSize: bodyLimit, headers: extraHeaders }, router),
          ),
        }
      : {}),
    exposeHeadRoutes: false,
    // A target with a broken %-escape never reaches a route; Go's server refuses it with
    // `invalid URL escape "%zz"`, given here in Vault's error envelope instead of fastify's.
    frameworkErrors: (err, req, reply) => {
      const badEscape = /%(?![0-9a-fA-F]{2})[\s\S]{0,2}/.exec(req.url)?.[0] ?? '%';
      send(
        reply,
        400,
        (err as { code?: string }).code === 'FST_ERR_BAD_URL'
          ? { errors: [`invalid URL escape ${JSON.stringify(badEscape)}`] }
          : { errors: ['invalid request path'] },
      );
    },
  }) as unknown as FastifyInstance;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.addHook('onRequest', (_req, reply, done) => {
    reply.headers(extraHeaders);
    done();
  });
  // The caller's X-Request-Id (KES passes the object store's request id on) joins the logs.
  if (opts.logger?.isLevelEnabled('debug')) app.addHook('onResponse', logCompletedRequest);

  // The handler sends and returns nothing: a returned value would be sent a second time.
  app.setErrorHandler((err, req, reply) => {
    const code = (err as { code?: string }).code;
    if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      send(reply, 413, { errors: ['http: request body too large'] });
      return;
    }
    if ((err as { statusCode?: number }).statusCode === 400 && !(err instanceof VaultError)) {
      send(reply, 400, { errors: [`failed to parse JSON input: ${jsonError(err)}`] });
      return;
    }
    // A standby sends the client to the active node, as Vault does without request forwarding.
    if (err instanceof StandbyError && err.leaderAddress) {
      reply.code(307).header('Location', redirectLocation(err.leaderAddress, req.url)).send();
      return;
    }
    const { status, body } = toErrorResponse(err);
    // An unexpected error is answered `internal error` and logged with its cause, as Vault does.
    if (!(err instanceof VaultError)) req.log.error({ err }, 'request failed');
    send(reply, status, body);
  });
  app.setNotFoundHandler((_req, reply) => {
    send(reply, 404, { errors: [] });
  });

  app.route({
    method: ['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'PATCH'],
    url: '/v1/*',
    // Handlers send and return nothing, so fastify never sends a second (re-serialised) reply.
    handler: async (req, reply) => {
      await serve(req, reply);
    },
  });
  return app;

  async function serve(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    // The raw request target, not WHATWG URL parsing: that would resolve `..` and `%2e%2e`
    // segments silently, and traversal must be refused, not rewritten.
    const qIdx = req.url.indexOf('?');
    const rawPath = qIdx === -1 ? req.url : req.url.slice(0, qIdx);
    let path: string;
    try {
      path = decodeURIComponent(rawPath.slice(4));
    } catch {
      throw badRequest('invalid request path');
    }
    const query = Object.fromEntries(
      new URLSearchParams(qIdx === -1 ? '' : req.url.slice(qIdx + 1)).entries(),
    );
    const method = req.method.toUpperCase();
    const bare = path.replace(/\/$/, '');
    if (ANSWERED_HERE.has(bare)) {
      await handleSys(core, bare, method, query, req, reply);
      return;
    }
    if (bare === 'sys/metrics') {
      // The format may come from the Accept header, as Prometheus scrapers send it.
      query['format'] ??= metricsFormatFromAccept(req.headers.accept);
      if (opts.unauthenticatedMetricsAccess) {
        if (method !== 'GET') send(reply, 405, { errors: [] });
        else sendRaw(reply, await core.metrics(query['format']));
        return;
      }
    }
    if (await forwardFromStandby(core, forwarder, bare, req, reply)) return;
    let operation: Operation;
    let data: Record<string, unknown>;
    if (method === 'GET' || method === 'LIST') {
      const listParam = query['list'];
      const isList = method === 'LIST' || listParam === 'true' || listParam === '1';
      operation = isList ? 'list' : 'read';
      data = queryData(qIdx === -1 ? '' : req.url.slice(qIdx + 1), isList);
      if (bare === 'sys/metrics') data['format'] ??= query['format'];
      if (isList && !path.endsWith('/')) path = `${path}/`;
    } else if (method === 'PUT' || method === 'POST') {
      operation = 'update';
      data = parseBody(req.body);
    } else if (method === 'DELETE') {
      operation = 'delete';
      data = { ...query, ...parseBody(req.body) };
    } else if (method === 'PATCH') {
      operation = 'patch';
      data = parseBody(req.body);
    } else {
      send(reply, 405, { errors: [] });
      return;
    }
    const res = await core.handle({
      operation,
      path,
      data,
      token: tokenOf(req),
      clientAddr: clientAddrOf(req),
      contentType: (req.headers['content-type'] ?? '').split(';')[0]?.trim(),
      // For the audit entries: the id the response carries, the port, the configured headers,
      // and for a forwarded request the standby it came through (the client's port is not known).
      id: req.id,
      ...(isClusterSocket(req.socket)
        ? { forwardedFrom: `${req.socket.remoteAddress}:${req.socket.remotePort}` }
        : { clientPort: req.socket.remotePort }),
      headers: req.headers,
    });
    respond(reply, res);
  }
}

/**
 * A fastify server factory whose server hands each request to `front`, with fastify's request
 * listener (the router) as what the front passes on; the timeouts are the ones fastify sets on a
 * server it makes itself.
 */
function frontedServer(front: (router: http.RequestListener) => http.RequestListener): FastifyServerFactory {
  return (router, o) => {
    const server = http.createServer(front(router));
    server.keepAliveTimeout = o['keepAliveTimeout'] as number;
    server.requestTimeout = o['requestTimeout'] as number;
    return server;
  };
}

/** A body Vault sends as it is (sys/metrics), with its own status and content type. */
function sendRaw(reply: FastifyReply, raw: RawBody): FastifyReply {
  return reply.code(raw.status).header('Content-Type', raw.contentType).send(Buffer.from(raw.body));
}

/** `prometheus` when the Accept header asks for OpenMetrics or Prometheus's schema, as Vault reads it. */
function metricsFormatFromAccept(accept: string | undefined): string {
  if (!accept) return '';
  if (accept.startsWith('application/openmetrics-text') || accept.includes('prometheus/telemetry'))
    return 'prometheus';
  return '';
}

function tokenOf(req: FastifyRequest): string | undefined {
  const header = req.headers['x-vault-token'];
  if (typeof header === 'string' && header !== '') return header;
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && auth.startsWith('Bearer ')) return auth.slice(7).trim();
  return undefined;
}

/**
 * The request data of a GET, as Vault builds it: every query parameter (but `list` when it made
 * the request a list); a key given once is a string, a repeated key the list of its values.
 * Engines and the ACL's parameter constraints read this same object.
 */
function queryData(search: string, isList: boolean): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  const params = new URLSearchParams(search);
  for (const key of new Set(params.keys())) {
    if (isList && key === 'list') continue;
    const values = params.getAll(key);
    Object.defineProperty(data, key, {
      value: values.length === 1 ? values[0] : values,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return data;
}

/**
 * A JSON parse error without the piece of the body V8 quotes in it (which may be a secret): the
 * message keeps what went wrong and where, as Go's decoder does.
 */
function jsonError(err: unknown): string {
  return (err as Error).message.replace(
    /,? *(?:\.\.\.)?"[\s\S]*"(?:\.\.\.)? is not valid JSON$/,
    ' is not valid JSON',
  );
}

/** Empty body, `null` and `{}` all mean "no data"; anything but an object is a 400. */
export function parseBody(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(String(body));
  const text = buf.toString('utf8').trim();
  if (text === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw badRequest(`failed to parse JSON input: ${jsonError(err)}`);
  }
  if (parsed === null) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed))
    throw badRequest('failed to parse JSON input: expected a JSON object');
  return parsed as Record<string, unknown>;
}

function send(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  // A Buffer payload keeps the Content-Type exactly `application/json` (hvac 0.11 compares the
  // header for equality; fastify appends `; charset=utf-8` to string payloads).
  return reply
    .code(status)
    .header('Content-Type', JSON_TYPE)
    .send(Buffer.from(body === undefined ? '' : JSON.stringify(body)));
}

function respond(reply: FastifyReply, res: LogicalResponse | null): FastifyReply {
  if (res?.raw) return sendRaw(reply, res.raw);
  if (!res || (res.data == null && !res.auth && !res.warnings?.length)) {
    return reply.code(204).header('Content-Type', JSON_TYPE).send();
  }
  const body: Record<string, unknown> = {
    request_id: reply.request.id,
    lease_id: '',
    renewable: false,
    lease_duration: res.leaseDuration ?? 0,
    data: res.data ?? null,
    wrap_info: null,
    warnings: res.warnings?.length ? res.warnings : null,
    auth: res.auth ?? null,
    mount_type: res.mountType ?? '',
  };
  if (res.copyDataToTop && res.data)
    for (const [k, v] of Object.entries(res.data)) if (!(k in body)) body[k] = v;
  return send(reply, res.status ?? 200, body);
}

async function handleSys(
  core: Core,
  path: string,
  method: string,
  query: Record<string, string>,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const isWrite = method === 'PUT' || method === 'POST';
  switch (path) {
    case 'sys/init': {
      if (method === 'GET') return send(reply, 200, { initialized: await core.isInitialized() });
      if (!isWrite) return send(reply, 405, { errors: [] });
      const data = parseBody(req.body);
      for (const k of ['recovery_shares', 'recovery_threshold'])
        if (Number(data[k] ?? 0) !== 0)
          throw badRequest(
            'parameters recovery_shares,recovery_threshold not applicable to seal type shamir',
          );
      const pgp = data['pgp_keys'];
      if (Array.isArray(pgp) && pgp.length > 0)
        throw badRequest(
          'invalid seal configuration: PGP-encrypted key shares are not supported by this server',
        );
      const { shares, threshold } = core.parseShares(data);
      const { keys, rootToken } = await core.init(shares, threshold);
      const body = {
        keys: keys.map((k) => k.toString('hex')),
        keys_base64: keys.map((k) => k.toString('base64')),
        root_token: rootToken,
      };
      for (const k of keys) k.fill(0);
      return send(reply, 200, body);
    }
    case 'sys/seal-status':
      if (method !== 'GET') return send(reply, 405, { errors: [] });
      return send(reply, 200, await core.sealStatus());
    case 'sys/unseal': {
      if (!isWrite) return send(reply, 405, { errors: [] });
      const raw = parseBody(req.body);
      // Vault decodes this body case-insensitively (no JSON tags on its struct).
      const data: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(raw)) data[k.toLowerCase()] = v;
      const reset = data['reset'] === true || data['reset'] === 'true';
      const key = typeof data['key'] === 'string' ? data['key'] : undefined;
      if (data['key'] !== undefined && data['key'] !== null && typeof data['key'] !== 'string')
        throw badRequest("'key' must be a valid hex or base64 string");
      await core.unseal(key, reset);
      return send(reply, 200, await core.sealStatus());
    }
    case 'sys/health': {
      if (method !== 'GET' && method !== 'HEAD') return send(reply, 405, { errors: [] });
      const status = await healthStatus(core, query);
      if (method === 'HEAD') return reply.code(status).header('Content-Type', JSON_TYPE).send();
      return send(reply, status, await core.health());
    }
    case 'sys/leader': {
      if (method !== 'GET') return send(reply, 405, { errors: [] });
      const l = await core.leader();
      return send(reply, 200, {
        ha_enabled: l.haEnabled,
        is_self: l.isSelf,
        active_time: l.activeTime,
        leader_address: l.leaderAddress,
        leader_cluster_address: l.leaderClusterAddress,
        performance_standby: false,
        performance_standby_last_remote_wal: 0,
      });
    }
    default:
      return send(reply, 404, { errors: [] });
  }
}

/** Status-code rules of sys/health (docs/vault.md#health); bad numeric/boolean params are 400 `[]`. */
async function healthStatus(core: Core, q: Record<string, string>): Promise<number> {
  const code = (name: string, def: number): number => {
    const v = q[name];
    if (v === undefined) return def;
    if (!/^-?\d+$/.test(v)) throw new VaultError(400, []);
    return Number(v);
  };
  for (const b of ['standbyok', 'perfstandbyok']) {
    const v = q[b];
    if (
      v !== undefined &&
      !['', 'true', 'false', '1', '0', 't', 'f', 'TRUE', 'FALSE', 'True', 'False'].includes(v)
    )
      throw new VaultError(400, []);
  }
  const codes = {
    active: code('activecode', 200),
    uninit: code('uninitcode', 501),
    sealed: code('sealedcode', 503),
    standby: code('standbycode', 429),
    dr: code('drsecondarycode', 472),
    perf: code('performancestandbycode', 473),
  };
  if (!(await core.isInitialized())) return codes.uninit;
  if (core.isSealed()) return codes.sealed;
  if (core.isStandby() && !['', 'true', '1', 't', 'TRUE', 'True'].includes(q['standbyok'] ?? 'false'))
    return codes.standby;
  return codes.active;
}
