// What a standby does with an API request (docs/vault.md#ha-on-etcd), decided once per request
// before it becomes a logical request: forward it to the active node and relay the answer, or
// answer it here. sys/init, seal-status, unseal, health and leader never get here (the router
// answers them on every node). Not forwarded, as in Vault: sys/metrics (a standby redirects it)
// and sys/seal (a standby refuses it; it must not seal the active node). A client that sends
// X-Vault-No-Request-Forwarding, and any request that cannot be forwarded, gets the 307 redirect.
// A request that came in over the cluster port is never forwarded again.
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Forwarder } from '../cluster/forwarder.js';
import { isClusterSocket } from '../cluster/listener.js';
import { HOP_BY_HOP } from '../cluster/protocol.js';
import type { Core } from '../core.js';
import { VaultError } from '../errors.js';

/** Vault's answer to sys/seal on a standby (a Go multierror with one entry). */
const SEAL_ON_STANDBY =
  '1 error occurred:\n\t* vault cannot seal when in standby mode; please restart instead\n\n';

/**
 * On a standby, forwards the request and relays the active node's answer; resolves true when it
 * answered. False leaves the request to the router (which redirects it with a 307).
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
    method: req.method,
    url: req.url,
    headers: req.headers,
    body: Buffer.isBuffer(req.body) ? req.body : undefined,
    clientAddr: req.socket.remoteAddress ?? '',
  });
  if (!res) return false;
  relay(reply, res, req.method);
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
 * as Cache-Control), and the body streamed. The reply is taken over from fastify, which would
 * otherwise end a streamed reply early once the (async) route handler returned.
 */
function relay(reply: FastifyReply, res: IncomingMessage, method: string): void {
  reply.hijack();
  const headers: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(reply.getHeaders())) if (v !== undefined) headers[k] = v;
  for (const [k, v] of Object.entries(res.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
  const out = reply.raw;
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
