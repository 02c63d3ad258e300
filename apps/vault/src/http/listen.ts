// Listeners. Node's HTTP parser (llhttp) rejects the `LIST` verb that Vault clients send
// (node-vault, the Go api, KES) with a bare 400 before any JS runs, so connections are accepted
// here and handed to the app's HTTP server through a thin duplex that rewrites a request line
// `LIST <url> HTTP/1.x` into `GET <url>?list=true` — which Vault treats identically.
import net from 'node:net';
import { Duplex } from 'node:stream';
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

/** A socket stand-in that forwards everything and rewrites inbound LIST request lines. */
class ListShimSocket extends Duplex {
  readonly #socket: net.Socket;
  readonly encrypted: boolean;

  constructor(socket: net.Socket, encrypted: boolean) {
    super({ allowHalfOpen: false });
    this.#socket = socket;
    this.encrypted = encrypted;
    socket.on('data', (d: Buffer) => {
      if (!this.push(rewriteListVerb(d))) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('error', (err) => this.destroy(err));
    socket.on('close', () => {
      if (!this.destroyed) this.destroy();
    });
  }

  get remoteAddress() {
    return this.#socket.remoteAddress;
  }
  get remotePort() {
    return this.#socket.remotePort;
  }
  get remoteFamily() {
    return this.#socket.remoteFamily;
  }
  get localAddress() {
    return this.#socket.localAddress;
  }
  get localPort() {
    return this.#socket.localPort;
  }
  address() {
    return this.#socket.address();
  }
  setTimeout(ms: number, cb?: () => void) {
    this.#socket.setTimeout(ms);
    if (cb) this.once('timeout', cb);
    this.#socket.removeAllListeners('timeout');
    this.#socket.on('timeout', () => this.emit('timeout'));
    return this;
  }
  setNoDelay(v?: boolean) {
    this.#socket.setNoDelay(v);
    return this;
  }
  setKeepAlive(enable?: boolean, delay?: number) {
    this.#socket.setKeepAlive(enable, delay);
    return this;
  }
  ref() {
    this.#socket.ref();
    return this;
  }
  unref() {
    this.#socket.unref();
    return this;
  }
  override _read(): void {
    this.#socket.resume();
  }
  override _write(chunk: Buffer, enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.#socket.write(chunk, enc, cb);
  }
  override _final(cb: (err?: Error | null) => void): void {
    this.#socket.end(cb);
  }
  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.#socket.destroy(err ?? undefined);
    cb(err);
  }
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
  const hand = (socket: net.Socket, encrypted: boolean) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    app.server.emit('connection', new ListShimSocket(socket, encrypted));
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
        (s) => hand(s, true),
      )
    : net.createServer((s) => hand(s, false));
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
