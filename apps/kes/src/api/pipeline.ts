// The one request pipeline every route runs (minio/kes model): before the body is read, path and
// method check → authentication/authorization; then body cap → deadline → handler → audit + metrics.
import type { TLSSocket } from 'node:tls';
import { identifyPeer, TlsIdentityError } from '@kms-chain/tls-identity';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  errBodyTooLarge,
  errInsecure,
  errMethod,
  errNoCert,
  errNotAllowed,
  errNotFoundRoute,
  KesError,
} from '../errors.js';
import { type RequestTrace, runTraced, traceOf } from '../request-id.js';
import type { RequestContext, Route, ServerState } from './types.js';

// identity, or the KES error for a connection whose leaf certificate names no client (none, or a CA).
const identities = new WeakMap<object, string | KesError>();

/**
 * The caller's identity (computed once per TLS connection), or the reason there is none: the
 * identity of the handshake's leaf certificate only, whatever else the client sent (see
 * identifyPeer in @kms-chain/tls-identity).
 */
export function identityOfRequest(req: FastifyRequest): string | KesError {
  const socket = req.raw.socket as TLSSocket;
  const known = identities.get(socket);
  if (known !== undefined) return known;
  let id: string | KesError;
  if (typeof socket.getPeerX509Certificate !== 'function') id = errInsecure();
  else {
    try {
      id = identifyPeer(socket);
    } catch (err) {
      if (!(err instanceof TlsIdentityError)) throw err;
      id = new KesError(400, err.message);
    }
  }
  identities.set(socket, id);
  return id;
}

/** Renders an error as KES does: `{"message":"…"}`. */
export function sendError(reply: FastifyReply, err: KesError): void {
  reply
    .code(err.status)
    .type('application/json')
    .send(JSON.stringify({ message: err.message }));
}

function authorize(route: Route, state: ServerState, req: FastifyRequest, path: string): string | undefined {
  const id = identityOfRequest(req);
  const identity = typeof id === 'string' ? id : undefined;
  if (route.auth === 'none' || state.config.skipAuth.includes(route.path)) return identity;
  if (identity === undefined) throw id;
  if (state.config.tls.clientAuth === 'verify' && !(req.raw.socket as TLSSocket).authorized)
    throw errNoCert();
  if (route.auth === 'identify') return identity;
  if (identity === state.config.admin) return identity;
  const p = state.policyOf.get(identity);
  if (!p?.policy.isAllowed(path)) throw errNotAllowed(state.config.errors);
  return identity;
}

/** The URL's path up to its query, percent-decoded once (kept raw when it does not decode). */
function requestPath(url: string): string {
  const q = url.indexOf('?');
  const raw = q < 0 ? url : url.slice(0, q);
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw; // the name check rejects the resource
  }
}

/**
 * Whether `path` is one this route serves: the exact path, or the prefix (with or without its
 * trailing slash) and a resource. Policies are matched against this same path and the resource is
 * cut from it, so what is authorized is what is served.
 */
function isRoutePath(route: Route, path: string): boolean {
  if (!route.path.endsWith('/')) return path === route.path;
  return path.startsWith(route.path) || path === route.path.slice(0, -1);
}

/** What admission settled for a request, before its body was read. */
interface Admission {
  started: number;
  path: string;
  identity: string | undefined;
  /** The originating request the client named (X-Request-Id / traceparent), if any. */
  trace: RequestTrace | undefined;
}

const admissions = new WeakMap<object, Admission>();

/** Records a finished request in the metrics and, for audited routes, the audit log. */
function record(route: Route, state: ServerState, req: FastifyRequest, a: Admission, status: number): void {
  const seconds = (performance.now() - a.started) / 1000;
  state.metrics.observe(status, seconds);
  if (route.audit && state.logs.isAuditing) {
    state.logs.record({
      time: new Date().toISOString(),
      request: {
        ip: req.ip,
        path: a.path,
        identity: a.identity ?? '',
        ...(a.trace ? { request_id: a.trace.id } : {}),
      },
      response: { code: status, time: Math.round(seconds * 1e6) },
    });
  }
}

/** A non-KES error is logged (never sent) and answered 500. */
function toKesError(state: ServerState, req: FastifyRequest, path: string, err: unknown): KesError {
  if (err instanceof KesError) return err;
  state.logs.error(`kes: ${req.method} ${path}: ${(err as Error)?.message ?? String(err)}`);
  return new KesError(500, 'internal server error');
}

/**
 * Builds the two halves of the pipeline for one route. `admit` runs as the route's onRequest
 * hook, before the body is read: path and method checks, then identity and policy — so a client
 * that may not call the route never has its body read. `handle` then takes the body (capped),
 * arms the deadline, runs the handler and renders its result.
 */
export function pipeline(route: Route, state: ServerState) {
  const methods = route.method === 'PUT' ? ['PUT', 'POST'] : [route.method];
  const prefixLen = route.path.endsWith('/') ? route.path.length : -1;

  const admit = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const a: Admission = {
      started: performance.now(),
      path: requestPath(req.raw.url ?? '/'),
      identity: undefined,
      trace: traceOf(req.headers),
    };
    try {
      if (!isRoutePath(route, a.path)) {
        // The router stopped early (it ends a path at `#`) or decoded differently: answer as for an
        // unknown path rather than judge a path the policy was not written for.
        reply.code(404).type('text/plain; charset=utf-8').send(`${errNotFoundRoute().message}\n`);
        record(route, state, req, a, 404);
        return reply;
      }
      if (!methods.includes(req.method)) {
        reply.header('Accept', route.method);
        throw errMethod(req.method, route.method);
      }
      a.identity = authorize(route, state, req, a.path);
    } catch (err) {
      const kerr = toKesError(state, req, a.path, err);
      sendError(reply, kerr);
      record(route, state, req, a, kerr.status);
      return reply;
    }
    admissions.set(req.raw, a);
    return undefined;
  };

  const handle = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const a = admissions.get(req.raw);
    if (!a) throw new Error('kes: request reached its handler without admission');
    const { path, identity } = a;
    let status = 200;
    // The deadline's timer is armed only when a handler asks for the signal (keystore calls); the
    // cache-hit path never does, which keeps a timer per request off the hot path.
    let timer: AbortController | undefined;
    let timeout: NodeJS.Timeout | undefined;
    const signal = (): AbortSignal => {
      if (!timer) {
        timer = new AbortController();
        if (route.timeoutMs > 0) {
          const t = timer;
          timeout = setTimeout(() => t.abort(new Error('request deadline exceeded')), route.timeoutMs);
        }
      }
      return timer.signal;
    };
    state.metrics.active.inc();
    try {
      const body = route.maxBody > 0 && Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      if (body.length > route.maxBody && route.maxBody > 0) throw errBodyTooLarge();
      const ctx: RequestContext = {
        req,
        reply,
        resource: prefixLen < 0 ? '' : path.length >= prefixLen ? path.slice(prefixLen) : '',
        identity,
        body,
        get signal() {
          return signal();
        },
        state,
      };
      // Inside the client's trace: the Vault calls the handler makes send its id on.
      const result = await runTraced(a.trace, () => route.handler(ctx));
      if (result === 'hijacked') return;
      if (result === undefined) {
        reply.code(200).send();
      } else {
        status = result.status ?? 200;
        reply.code(status);
        if (result.text !== undefined) reply.type(result.contentType ?? 'text/plain').send(result.text);
        else if (result.json !== undefined)
          reply.type(result.contentType ?? 'application/json').send(JSON.stringify(result.json));
        else reply.send();
      }
    } catch (err) {
      const kerr = toKesError(state, req, path, err);
      status = kerr.status;
      sendError(reply, kerr);
    } finally {
      clearTimeout(timeout);
      state.metrics.active.dec();
      record(route, state, req, a, status);
    }
  };

  return { admit, handle };
}
