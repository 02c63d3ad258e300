// Listeners. Node's HTTP parser (llhttp) rejects the `LIST` verb that Vault clients send
// (node-vault, the Go api, KES) as an invalid method before any JS runs. Every other request keeps
// Node's native parsing; a refused request whose bytes start with `LIST ` is answered from the
// parser's `clientError` event instead: served as `GET <url>?list=true` (which Vault treats
// identically) through the same app, written back with `Connection: close`, since the parser of
// that connection cannot continue after its error. The app is reached through inject(), whose
// URL parsing resolves `.`/`..` (also `%2e%2e`) segments: the target is checked here first, as
// the raw target of every other request is checked by the core.
import { STATUS_CODES } from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { parseThroughStream } from '@kms-chain/tls-identity';
import type { FastifyInstance } from 'fastify';
import { bindTracked, type Listener } from '../cluster/serve.js';
import { badRequest, toErrorResponse } from '../errors.js';
import { checkKey } from '../view.js';

export interface ListenOptions {
  host: string;
  port: number;
  tls?: {
    cert: string | Buffer;
    key: string | Buffer;
    minVersion?: tls.SecureVersion;
    maxVersion?: tls.SecureVersion;
  };
}

export interface ParsedListRequest {
  url: string;
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * Parses a complete `LIST` request (head and any Content-Length body) from raw bytes and returns
 * it with the URL rewritten to `?list=true`; undefined when the bytes are not such a request.
 */
export function parseListRequest(raw: Buffer): ParsedListRequest | undefined {
  if (raw.length < 5 || raw.toString('latin1', 0, 5) !== 'LIST ') return undefined;
  const end = raw.indexOf('\r\n\r\n');
  if (end === -1) return undefined;
  const lines = raw.toString('latin1', 0, end).split('\r\n');
  const m = /^LIST (\S+) HTTP\/1\.[01]$/.exec(lines[0]!);
  if (!m) return undefined;
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) return undefined;
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  if (headers['transfer-encoding']) return undefined;
  const length = Number(headers['content-length'] ?? 0);
  const body = raw.subarray(end + 4, end + 4 + length);
  if (!Number.isInteger(length) || body.length !== length) return undefined;
  const url = m[1]!;
  return { url: `${url}${url.includes('?') ? '&' : '?'}list=true`, headers, body };
}

/**
 * Refuses (throws Vault's 400) a raw `/v1/…` target whose path, percent-decoded, has empty,
 * `.` or `..` segments or a backslash — before anything could resolve them.
 */
export function checkListTarget(url: string): void {
  const q = url.indexOf('?');
  const raw = q === -1 ? url : url.slice(0, q);
  if (!raw.startsWith('/v1/')) return;
  let path: string;
  try {
    path = decodeURIComponent(raw.slice(4));
  } catch {
    throw badRequest('invalid request path');
  }
  checkKey(path);
}

/** Answers a request Node's parser refused: LIST through the app, anything else 400. */
async function onClientError(
  app: FastifyInstance,
  err: NodeJS.ErrnoException & { rawPacket?: Buffer },
  socket: net.Socket,
) {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const list =
    err.code === 'HPE_INVALID_METHOD' && err.rawPacket ? parseListRequest(err.rawPacket) : undefined;
  if (!list) {
    socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    return;
  }
  try {
    checkListTarget(list.url);
  } catch (err) {
    const { status, body } = toErrorResponse(err);
    const payload = Buffer.from(JSON.stringify(body));
    socket.end(
      Buffer.concat([
        Buffer.from(
          `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\ncache-control: no-store\r\ncontent-type: application/json\r\ncontent-length: ${payload.length}\r\nconnection: close\r\n\r\n`,
          'latin1',
        ),
        payload,
      ]),
    );
    return;
  }
  const { connection: _c, 'content-length': _l, host, ...headers } = list.headers;
  const res = await app.inject({
    method: 'GET',
    url: list.url,
    headers: { ...headers, ...(host ? { host } : {}) },
    ...(list.body.length ? { payload: list.body } : {}),
    remoteAddress: socket.remoteAddress ?? '',
  });
  const body = res.rawPayload;
  let head = `HTTP/1.1 ${res.statusCode} ${STATUS_CODES[res.statusCode] ?? ''}\r\n`;
  for (const [k, v] of Object.entries(res.headers)) {
    if (['connection', 'content-length', 'transfer-encoding', 'keep-alive'].includes(k) || v === undefined)
      continue;
    for (const one of Array.isArray(v) ? v : [v]) head += `${k}: ${one}\r\n`;
  }
  head += `content-length: ${body.length}\r\nconnection: close\r\n\r\n`;
  socket.end(Buffer.concat([Buffer.from(head, 'latin1'), body]));
}

/** Serves a built (not listening) fastify app on host:port, over TLS when `tls` is given. */
export async function listen(app: FastifyInstance, opts: ListenOptions): Promise<Listener> {
  await app.ready();
  const sockets = new Set<net.Socket>();
  const httpServer = app.server as typeof app.server & { kmsListShim?: boolean };
  if (!httpServer.kmsListShim) {
    // Replaces fastify's own clientError answer (a JSON 400) with ours, once per app.
    httpServer.kmsListShim = true;
    httpServer.removeAllListeners('clientError');
    httpServer.on('clientError', (err, socket) => {
      onClientError(app, err, socket as net.Socket).catch(() => socket.destroy());
    });
  }
  const hand = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    // Request/response traffic: Nagle plus delayed ACKs would add ~40 ms per keep-alive request.
    socket.setNoDelay(true);
    app.server.emit('connection', socket);
    // Over TLS, a request that arrives while a response still drains must wait for it, not reset
    // the connection (see @kms-chain/tls-identity tls-backpressure.ts).
    if (opts.tls) parseThroughStream(socket as tls.TLSSocket);
  };
  const server: net.Server = opts.tls
    ? tls.createServer(
        {
          cert: opts.tls.cert,
          key: opts.tls.key,
          minVersion: opts.tls.minVersion ?? 'TLSv1.2',
          ...(opts.tls.maxVersion ? { maxVersion: opts.tls.maxVersion } : {}),
          ALPNProtocols: ['http/1.1'],
          // Set on the TCP sockets at accept time (as Node's own http/https servers do).
          noDelay: true,
        },
        hand,
      )
    : net.createServer({ noDelay: true }, hand);
  // A failed handshake must not take the server down.
  server.on('tlsClientError', () => undefined);
  return bindTracked(server, sockets, opts.port, opts.host);
}

export type { Listener };
