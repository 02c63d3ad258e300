// The cluster listener (docs/vault.md#ha-on-etcd): bound at start on `cluster_address`, it serves
// only while this node is active, and only peers that present this term's cluster certificate.
// A connection is refused (closed before any byte of HTTP) when the node has no identity (standby,
// sealed), when the peer presents no certificate or another one, or when the term changed since
// the connection was made. Forwarded API requests go to the same router as direct ones, so the
// ACL, metrics and audit apply unchanged; the router recognises their sockets (isClusterSocket)
// to take the client's address from X-Forwarded-For and never forward them again.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { parseThroughStream } from '@kms-chain/tls-identity';
import { type ClusterIdentity, isClusterPeer } from './identity.js';
import { ECHO_PATH, type EchoInfo, MAX_ECHO_BYTES, parseEcho } from './protocol.js';
import { bindTracked, type Listener } from './serve.js';

/** A slow or silent peer may hold a half-open handshake this long. */
const HANDSHAKE_TIMEOUT_MS = 10_000;
/** Longer than the standbys' idle keep-alive, so their pooled connections stay usable. */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;

const clusterSockets = new WeakSet<object>();
const termOf = new WeakMap<object, ClusterIdentity>();

/** Whether a request came in over the cluster port (a forwarded request, already authenticated). */
export function isClusterSocket(socket: unknown): boolean {
  return typeof socket === 'object' && socket !== null && clusterSockets.has(socket);
}

export interface ClusterListenerOptions {
  host: string;
  port: number;
  /** This node's identity while active; undefined otherwise (every connection is then refused). */
  identity(): ClusterIdentity | undefined;
  /** Serves a forwarded API request (the API router). */
  serve(req: IncomingMessage, res: ServerResponse): void;
  /** Takes a standby's heartbeat. */
  echo(info: EchoInfo): void;
}

/** A running cluster listener; close() stops accepting and ends open connections. */
export type ClusterListener = Listener;

export async function listenCluster(opts: ClusterListenerOptions): Promise<ClusterListener> {
  const sockets = new Set<net.Socket>();
  const httpServer = http.createServer((req, res) => {
    const identity = opts.identity();
    // The term ended (step-down, seal, lost lock) since this connection was accepted.
    if (!identity || termOf.get(req.socket) !== identity) {
      req.socket.destroy();
      return;
    }
    if (req.url === ECHO_PATH) {
      takeEcho(req, res, opts.echo);
      return;
    }
    opts.serve(req, res);
  });
  httpServer.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;

  const server = net.createServer({ noDelay: true }, (raw) => {
    sockets.add(raw);
    raw.on('close', () => sockets.delete(raw));
    raw.on('error', () => raw.destroy());
    const identity = opts.identity();
    if (!identity) {
      raw.destroy();
      return;
    }
    const socket = new tls.TLSSocket(raw, {
      isServer: true,
      secureContext: identity.context,
      requestCert: true,
      rejectUnauthorized: true,
      ALPNProtocols: ['http/1.1'],
    });
    const timer = setTimeout(() => socket.destroy(), HANDSHAKE_TIMEOUT_MS);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => clearTimeout(timer));
    socket.once('secure', () => {
      clearTimeout(timer);
      // The handshake proved the peer holds the key of the certificate it sent; that certificate
      // must be this term's (Node does not check a server-side socket made this way against `ca`).
      if (!isClusterPeer(identity, socket.getPeerCertificate()?.raw) || opts.identity() !== identity) {
        socket.destroy();
        return;
      }
      clusterSockets.add(socket);
      termOf.set(socket, identity);
      httpServer.emit('connection', socket);
      parseThroughStream(socket);
    });
  });
  return bindTracked(server, sockets, opts.port, opts.host);
}

function takeEcho(req: IncomingMessage, res: ServerResponse, echo: (info: EchoInfo) => void): void {
  if (req.method !== 'POST') {
    res.writeHead(405).end();
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (c: Buffer) => {
    size += c.length;
    if (size > MAX_ECHO_BYTES) req.socket.destroy();
    else chunks.push(c);
  });
  req.on('end', () => {
    const info = parseEcho(Buffer.concat(chunks));
    if (!info) {
      res.writeHead(400).end();
      return;
    }
    echo(info);
    res.writeHead(204).end();
  });
}
