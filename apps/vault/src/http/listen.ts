// Listeners. Node's HTTP parser (llhttp) rejects the `LIST` verb that Vault clients send
// (node-vault, the Go api, KES) with a bare 400 before any JS runs, so connections are accepted
// here, their inbound chunks pass through JS, and a request line `LIST <url> HTTP/1.x` becomes
// `GET <url>?list=true` — which Vault treats identically — before the app's HTTP server parses it.
import net from 'node:net';
import tls from 'node:tls';
import type { FastifyInstance } from 'fastify';

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

const LIST_LINE = /^LIST ([^ \r\n]+) (HTTP\/1\.[01])\r\n/;

/**
 * Rewrites a LIST request line at the start of a chunk. A request always begins at a read
 * boundary for non-pipelining clients (they wait for the response); a body chunk beginning with
 * a full `LIST <url> HTTP/1.1` line is not a JSON body Vault would accept anyway.
 */
export function rewriteListVerb(chunk: Buffer): Buffer {
  if (chunk.length < 5 || chunk[0] !== 0x4c /* L */ || chunk.toString('latin1', 0, 5) !== 'LIST ')
    return chunk;
  const head = chunk.toString('latin1', 0, Math.min(chunk.length, 16384));
  const m = LIST_LINE.exec(head);
  if (!m) return chunk;
  const url = m[1]!;
  const line = `GET ${url}${url.includes('?') ? '&' : '?'}list=true ${m[2]}\r\n`;
  return Buffer.concat([Buffer.from(line, 'latin1'), chunk.subarray(m[0].length)]);
}

/**
 * Rewrites inbound chunks on the socket's own 'data' events. Node's HTTP server reads a socket in
 * JS (not through the native consume path) when its handle was already marked consumed.
 */
function patchDataEvents(socket: net.Socket): void {
  const handle = (socket as unknown as { _handle?: { _consumed?: boolean } })._handle;
  if (handle) handle._consumed = true;
  const emit = socket.emit;
  socket.emit = function (this: net.Socket, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'data' && Buffer.isBuffer(args[0])) args[0] = rewriteListVerb(args[0]);
    return (emit as (...a: unknown[]) => boolean).call(this, event, ...args);
  } as typeof socket.emit;
}

/** A running listener; close() stops accepting and ends open connections. */
export interface Listener {
  address: net.AddressInfo;
  close(): Promise<void>;
}

/** Serves a built (not listening) fastify app on host:port, over TLS when `tls` is given. */
export async function listen(app: FastifyInstance, opts: ListenOptions): Promise<Listener> {
  await app.ready();
  const sockets = new Set<net.Socket>();
  const hand = (socket: net.Socket) => {
    sockets.add(socket);
    // Request/response traffic: Nagle plus delayed ACKs would add ~40 ms per keep-alive request.
    socket.setNoDelay(true);
    socket.on('close', () => sockets.delete(socket));
    patchDataEvents(socket);
    app.server.emit('connection', socket);
  };
  const server: net.Server = opts.tls
    ? tls.createServer(
        {
          cert: opts.tls.cert,
          key: opts.tls.key,
          minVersion: opts.tls.minVersion ?? 'TLSv1.2',
          ...(opts.tls.maxVersion ? { maxVersion: opts.tls.maxVersion } : {}),
          ALPNProtocols: ['http/1.1'],
        },
        (s) => hand(s),
      )
    : net.createServer((s) => hand(s));
  // A failed handshake must not take the server down.
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    address: server.address() as net.AddressInfo,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}
