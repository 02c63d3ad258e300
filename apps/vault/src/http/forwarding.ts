// What a standby does with an API request (docs/vault.md#ha-on-etcd), decided once per request
// before it becomes a logical request: forward it to the active node and relay the answer, or
// answer it here. sys/init, seal-status, unseal, health and leader never get here (every node
// answers them itself). Not forwarded, as in Vault: sys/metrics (a standby redirects it) and
// sys/seal (a standby refuses it; it must not seal the active node). A client that sends
// X-Vault-No-Request-Forwarding, and any request that cannot be forwarded, gets the 307 redirect.
// A request that came in over the cluster port is never forwarded again.
//
// Two ways in. The front (standbyFront) sits ahead of the router on the API listener and takes
// every request it can forward without the router's help: a standby then costs a forwarded request
// one relaying hop and nothing else (no routing, hooks or per-request logger). What it leaves — a
// request it cannot forward right now, one with a chunked or oversized body, LIST (which Node's
// parser refuses and listen.ts replays through the router) — reaches the router, which forwards
// it with forwardFromStandby or answers it.
import type { IncomingMessage, OutgoingHttpHeaders, RequestListener, ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Forwarder, ForwardRequest } from '../cluster/forwarder.js';
import { isClusterSocket } from '../cluster/listener.js';
import { HOP_BY_HOP } from '../cluster/protocol.js';
import type { Core } from '../core.js';
import { StandbyError, toErrorResponse, VaultError } from '../errors.js';

/** The sys paths every node answers itself, sealed, standing by or active (no token needed). */
export const ANSWERED_HERE = new Set([
  'sys/init',
  'sys/seal-status',
  'sys/unseal',
  'sys/health',
  'sys/leader',
]);

/** The methods the router serves; any other is the router's to refuse. */
const ROUTED_METHODS = new Set(['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'PATCH']);

/** Vault's answer to sys/seal on a standby (a Go multierror with one entry). */
const SEAL_ON_STANDBY =
  '1 error occurred:\n\t* vault cannot seal when in standby mode; please restart instead\n\n';

export interface StandbyFrontOptions {
  core: Core;
  forwarder: Forwarder;
  /** The listener's max_request_size: a larger declared body is left to the router (413). */
  maxRequestSize: number;
  /** Headers this listener puts on every answer (Cache-Control, HSTS) under the active node's own. */
  headers: OutgoingHttpHeaders;
}

/**
 * The API listener's request handler on a node that may stand by: forwards what it can straight
 * from the connection and hands everything else to `router` untouched (its body unread).
 */
export function standbyFront(opts: StandbyFrontOptions, router: RequestListener): RequestListener {
  return (req, res) => {
    if (!frontForwards(opts, req)) {
      router(req, res);
      return;
    }
    forwardFromFront(opts, req, res).then(
      (answered) => {
        if (!answered) router(req, res);
      },
      () => res.destroy(),
    );
  };
}

/** Whether the front may take the request: on a standby, for the active node, body length known. */
function frontForwards(opts: StandbyFrontOptions, req: IncomingMessage): boolean {
  if (!opts.core.isStandby() || isClusterSocket(req.socket)) return false;
  const url = req.url ?? '';
  if (!url.startsWith('/v1/') || !ROUTED_METHODS.has(req.method ?? '')) return false;
  if (req.headers['x-vault-no-request-forwarding'] || req.headers['transfer-encoding']) return false;
  if (Number(req.headers['content-length'] ?? 0) > opts.maxRequestSize) return false;
  const bare = barePath(url);
  return bare !== undefined && !ANSWERED_HERE.has(bare) && bare !== 'sys/metrics' && bare !== 'sys/seal';
}

/** The API path of a /v1/ target, percent-decoded, without a trailing slash; undefined if it cannot be decoded. */
export function barePath(url: string): string | undefined {
  const q = url.indexOf('?');
  try {
    return decodeURIComponent((q === -1 ? url : url.slice(0, q)).slice(4)).replace(/\/$/, '');
  } catch {
    return undefined;
  }
}

/**
 * Forwards from the front; false (body unread) when no active node can be reached right now. Once
 * the body is read the front answers in any case: the active node's answer, else the redirect.
 */
async function forwardFromFront(
  opts: StandbyFrontOptions,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<boolean> {
  let bodyRead = false;
  const answer = await opts.forwarder.forward(
    forwardRequest(req, () => {
      bodyRead = true;
      return readBody(req);
    }),
  );
  if (answer) {
    relay(res, opts.headers, answer, req.method ?? 'GET');
    return true;
  }
  if (!bodyRead) return false;
  const leader = (await opts.core.activeNode())?.redirectAddr ?? '';
  if (leader) {
    res.writeHead(307, { ...opts.headers, location: redirectLocation(leader, req.url ?? '') }).end();
    return true;
  }
  const { status, body: errors } = toErrorResponse(new StandbyError(''));
  res.writeHead(status, { ...opts.headers, 'content-type': 'application/json' }).end(JSON.stringify(errors));
  return true;
}

/** A request body whose length the headers declared (within max_request_size), read whole. */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  if (!Number(req.headers['content-length'] ?? 0)) {
    req.resume();
    return Promise.resolve(undefined);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
    req.once('aborted', () => reject(new Error('request aborted')));
  });
}

function forwardRequest(req: IncomingMessage, body: ForwardRequest['body']): ForwardRequest {
  return {
    method: req.method ?? 'GET',
    url: req.url ?? '/',
    headers: req.headers,
    body,
    clientAddr: req.socket.remoteAddress ?? '',
  };
}

/** Where a standby's 307 sends the client: the active node's api_addr with the same target. */
export function redirectLocation(leaderAddress: string, url: string): string {
  return `${leaderAddress.replace(/\/+$/, '')}${url}`;
}

/**
 * On a standby, forwards a request the router got (the front left it) and relays the active node's
 * answer; resolves true when it answered. False leaves the request to the router (which redirects
 * it with a 307).
 * @throws VaultError 500 for sys/seal on a standby.
 */
export async function forwardFromStandby(
  core: Core,
  forwarder: Forwarder | undefined,
  bare: string,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<boolean> {
  if (!core.isStandby() || isClusterSocket(req.socket)) return false;
  if (bare === 'sys/seal') throw new VaultError(500, [SEAL_ON_STANDBY]);
  if (!forwarder || bare === 'sys/metrics' || req.headers['x-vault-no-request-forwarding']) return false;
  const res = await forwarder.forward({
    ...forwardRequest(req.raw, Buffer.isBuffer(req.body) ? req.body : undefined),
    // The router's view of the request: a replayed LIST is a GET with ?list=true.
    method: req.method,
    url: req.url,
    headers: req.headers,
  });
  if (!res) return false;
  // The reply is taken over from fastify, which would otherwise end a streamed reply early once
  // the (async) route handler returned.
  reply.hijack();
  relay(reply.raw, reply.getHeaders(), res, req.method);
  return true;
}

/** The client's address: the connection's, or for a forwarded request the one the standby added. */
export function clientAddrOf(req: FastifyRequest): string {
  const direct = req.socket.remoteAddress ?? '';
  if (!isClusterSocket(req.socket)) return direct;
  const xff = req.headers['x-forwarded-for'];
  const last = (Array.isArray(xff) ? xff.join(',') : (xff ?? '')).split(',').pop()?.trim();
  return last || direct;
}

/**
 * The active node's answer as it came: status, end-to-end headers (over this listener's own, such
 * as Cache-Control), and the body streamed.
 */
function relay(
  out: ServerResponse,
  own: Record<string, string | number | string[] | undefined>,
  res: IncomingMessage,
  method: string,
): void {
  const headers: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(own)) if (v !== undefined) headers[k.toLowerCase()] = v;
  for (const [k, v] of Object.entries(res.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
  // Corked until the first chunk is written: the head and a small body leave in one TLS record.
  out.cork();
  out.writeHead(res.statusCode ?? 502, headers);
  if (method === 'HEAD' || res.statusCode === 204 || res.statusCode === 304) {
    res.resume();
    out.end();
    out.uncork();
    return;
  }
  const uncork = () => process.nextTick(() => out.uncork());
  res.once('data', uncork);
  res.once('end', () => {
    res.off('data', uncork);
    uncork();
  });
  // pipe, not stream.pipeline: pipeline makes and aborts an AbortController per call, whose
  // DOMException (with its stack) cost a tenth of a forwarded read's CPU.
  res.on('error', () => out.destroy());
  res.on('aborted', () => out.destroy());
  out.on('close', () => {
    if (!res.complete) res.destroy();
  });
  res.pipe(out);
}
