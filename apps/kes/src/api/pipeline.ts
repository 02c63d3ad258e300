// The one request pipeline every route runs (STYLE.md, minio/kes model):
// method check → body cap → deadline → authentication/authorization → handler → audit + metrics.
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

/** Builds the fastify handler for one route. */
export function pipeline(route: Route, state: ServerState) {
  const methods = route.method === 'PUT' ? ['PUT', 'POST'] : [route.method];
  const prefixLen = route.path.endsWith('/') ? route.path.length : -1;
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const started = performance.now();
    const path = requestPath(req.raw.url ?? '/');
    let identity: string | undefined;
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
      if (!isRoutePath(route, path)) {
        // The router stopped early (it ends a path at `#`) or decoded differently: answer as for an
        // unknown path rather than judge a path the policy was not written for.
        status = 404;
        reply.code(404).type('text/plain; charset=utf-8').send(`${errNotFoundRoute().message}\n`);
        return;
      }
      if (!methods.includes(req.method)) {
        reply.header('Accept', route.method);
        throw errMethod(req.method, route.method);
      }
      const body = route.maxBody > 0 && Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      if (body.length > route.maxBody && route.maxBody > 0) throw errBodyTooLarge();
      identity = authorize(route, state, req, path);
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
      const result = await route.handler(ctx);
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
      const kerr = err instanceof KesError ? err : new KesError(500, 'internal server error');
      if (!(err instanceof KesError))
        state.logs.error(`kes: ${req.method} ${path}: ${(err as Error)?.message ?? String(err)}`);
      status = kerr.status;
      sendError(reply, kerr);
    } finally {
      clearTimeout(timeout);
      state.metrics.active.dec();
      const seconds = (performance.now() - started) / 1000;
      state.metrics.observe(status, seconds);
      if (route.audit && state.logs.isAuditing) {
        state.logs.record({
          time: new Date().toISOString(),
          request: { ip: req.ip, path, identity: identity ?? '' },
          response: { code: status, time: Math.round(seconds * 1e6) },
        });
      }
    }
  };
}
