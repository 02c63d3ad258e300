// Request forwarding, the standby's side (docs/vault.md#ha-on-etcd). A standby sends each API
// request it does not answer itself to the active node's cluster address, over a keep-alive pool
// of TLS connections that present and accept only the term's cluster certificate, and relays the
// answer as it streams in. With warm connections a forwarded request costs one loopback round trip
// inside the cluster, where Vault's 307 cost the client a second request.
//
// The request body is read whole first (the API's bodies are small and capped by the listener's
// max_request_size), so a request that meets a pooled connection the active node just closed can be
// sent again on a fresh one. forward() resolves undefined whenever forwarding is impossible —
// no cluster address or certificate advertised, the cluster port refused or silent — and the caller
// falls back to the 307 redirect, as Vault does.
//
// The same pool carries the heartbeats: every HEARTBEAT_INTERVAL_MS a standby echoes who it is,
// so the active node's sys/ha-status lists it with its last echo.

import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import https from 'node:https';
import type { ClusterIdentity } from './identity.js';
import { ECHO_PATH, type EchoInfo, HEARTBEAT_INTERVAL_MS, HOP_BY_HOP } from './protocol.js';

/** A cluster port that has not completed its handshake by then is treated as down (307 instead). */
const CONNECT_TIMEOUT_MS = 3_000;
/** How long a heartbeat may take before it counts as missed. */
const ECHO_TIMEOUT_MS = 5_000;
/** A standby that knows no active node yet, or missed an echo, tries again this soon. */
const ECHO_RETRY_MS = 1_000;
/** Connections kept per active node: as many as the API clients a standby usually serves at once. */
const MAX_SOCKETS = 128;

/** The active node as a standby knows it from the advertisement. */
export interface ActiveNode {
  clusterAddr: string;
  /** Undefined when the active node runs without clustering: nothing to forward to. */
  identity: ClusterIdentity | undefined;
}

export interface ForwarderDeps {
  /** The active node while this node stands by; undefined when active, sealed or none is known. */
  active(): Promise<ActiveNode | undefined>;
  /** What this node says about itself in its heartbeats. */
  self(): EchoInfo;
  log(level: 'info' | 'warn' | 'error', message: string): void;
}

/** An API request to forward, as the standby received it. */
export interface ForwardRequest {
  method: string;
  /** The raw request target (path and query), exactly as received. */
  url: string;
  headers: IncomingHttpHeaders;
  /**
   * The body, or how to read it: read only once the active node is known to be reachable, so a
   * request that cannot be forwarded reaches the caller's fallback with its body unread.
   */
  body: Buffer | undefined | (() => Promise<Buffer | undefined>);
  /** The client's address, appended to X-Forwarded-For for the active node. */
  clientAddr: string;
}

interface Pool {
  identity: ClusterIdentity;
  clusterAddr: string;
  url: URL;
  agent: https.Agent;
}

export class Forwarder {
  readonly #deps: ForwarderDeps;
  #pool: Pool | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #closed = false;
  #echoFailing = false;

  constructor(deps: ForwarderDeps) {
    this.#deps = deps;
  }

  /**
   * Sends `req` to the active node; resolves with its response (status, headers, streaming body)
   * or undefined when it cannot be forwarded (the caller redirects instead). Rejects only when
   * reading a lazily given body fails.
   */
  async forward(req: ForwardRequest): Promise<IncomingMessage | undefined> {
    const pool = await this.#poolFor().catch(() => undefined);
    if (!pool) return undefined;
    const body = typeof req.body === 'function' ? await req.body() : req.body;
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (v !== undefined && !HOP_BY_HOP.has(k) && k !== 'content-length') headers[k] = v;
    const prior = req.headers['x-forwarded-for'];
    headers['x-forwarded-for'] = prior ? `${prior}, ${req.clientAddr}` : req.clientAddr;
    if (body?.length) headers['content-length'] = String(body.length);
    try {
      return await this.#send(pool, req.method, req.url, headers, body);
    } catch (err) {
      this.#deps.log(
        'warn',
        `core: request forwarding failed, redirecting instead: ${(err as Error).message}`,
      );
      return undefined;
    }
  }

  /**
   * Starts echoing to the active node whenever this node stands by: every HEARTBEAT_INTERVAL_MS,
   * and every ECHO_RETRY_MS while no active node is known or an echo fails, so a new standby is
   * listed within about a second of learning the active node.
   */
  startHeartbeats(): void {
    if (this.#heartbeat || this.#closed) return;
    const tick = async () => {
      const sent = await this.echo();
      if (this.#closed) return;
      this.#heartbeat = setTimeout(tick, sent ? HEARTBEAT_INTERVAL_MS : ECHO_RETRY_MS);
      this.#heartbeat.unref();
    };
    this.#heartbeat = setTimeout(tick, ECHO_RETRY_MS);
    this.#heartbeat.unref();
  }

  /** One heartbeat now; resolves true when the active node took it. Never rejects. */
  async echo(): Promise<boolean> {
    const pool = await this.#poolFor().catch(() => undefined);
    if (!pool) return false;
    const body = Buffer.from(JSON.stringify(this.#deps.self()));
    try {
      const res = await this.#send(
        pool,
        'POST',
        ECHO_PATH,
        { 'content-type': 'application/json', 'content-length': String(body.length) },
        body,
        ECHO_TIMEOUT_MS,
      );
      res.resume();
      if (res.statusCode !== 204) throw new Error(`status ${res.statusCode}`);
      if (this.#echoFailing) this.#deps.log('info', 'core: heartbeats reach the active node again');
      this.#echoFailing = false;
      return true;
    } catch (err) {
      if (!this.#echoFailing)
        this.#deps.log('warn', `core: heartbeat to the active node failed: ${(err as Error).message}`);
      this.#echoFailing = true;
      return false;
    }
  }

  /** Stops the heartbeats and closes every pooled connection. */
  close(): void {
    this.#closed = true;
    if (this.#heartbeat) clearTimeout(this.#heartbeat);
    this.#heartbeat = undefined;
    this.#pool?.agent.destroy();
    this.#pool = undefined;
  }

  /** The pool for the current active node; a new term (new certificate or address) gets a new one. */
  async #poolFor(): Promise<Pool | undefined> {
    const active = await this.#deps.active();
    if (!active?.identity || !active.clusterAddr) return undefined;
    const current = this.#pool;
    if (current && current.identity === active.identity && current.clusterAddr === active.clusterAddr)
      return current;
    current?.agent.destroy();
    const identity = active.identity;
    const agent = new https.Agent({
      keepAlive: true,
      maxSockets: MAX_SOCKETS,
      maxFreeSockets: MAX_SOCKETS,
      // No TLS session resumption: the cluster listener keeps no session state (no ticket keys),
      // and a resumed handshake would skip the certificate that authenticates each connection.
      maxCachedSessions: 0,
      secureContext: identity.context,
      servername: identity.serverName,
      // The server must present exactly the term's certificate (its chain to itself is checked too).
      checkServerIdentity: (_host, cert) =>
        cert.raw?.equals(identity.certDer) ? undefined : new Error('cluster peer certificate mismatch'),
      noDelay: true,
    } as https.AgentOptions);
    const pool = { identity, clusterAddr: active.clusterAddr, url: new URL(active.clusterAddr), agent };
    this.#pool = pool;
    return pool;
  }

  /** One exchange; a request that met a connection closed under it is retried once on a new one. */
  async #send(
    pool: Pool,
    method: string,
    path: string,
    headers: Record<string, string | string[]>,
    body: Buffer | undefined,
    timeoutMs?: number,
  ): Promise<IncomingMessage> {
    try {
      return await this.#exchange(pool, method, path, headers, body, timeoutMs);
    } catch (err) {
      if (!(err as { reused?: boolean }).reused) throw err;
      return this.#exchange(pool, method, path, headers, body, timeoutMs);
    }
  }

  #exchange(
    pool: Pool,
    method: string,
    path: string,
    headers: Record<string, string | string[]>,
    body: Buffer | undefined,
    timeoutMs?: number,
  ): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = https.request({
        agent: pool.agent,
        host: pool.url.hostname.replace(/^\[|\]$/g, ''),
        port: pool.url.port || 443,
        method,
        path,
        headers,
      });
      let connectTimer: NodeJS.Timeout | undefined;
      let deadline: NodeJS.Timeout | undefined;
      const done = () => {
        clearTimeout(connectTimer);
        clearTimeout(deadline);
      };
      req.on('socket', (socket) => {
        if (!socket.connecting) return;
        connectTimer = setTimeout(
          () =>
            req.destroy(new Error(`no TLS session with ${pool.clusterAddr} within ${CONNECT_TIMEOUT_MS} ms`)),
          CONNECT_TIMEOUT_MS,
        );
        socket.once('secureConnect', () => clearTimeout(connectTimer));
      });
      if (timeoutMs) deadline = setTimeout(() => req.destroy(new Error('timed out')), timeoutMs);
      req.on('response', (res) => {
        done();
        resolve(res);
      });
      req.on('error', (err) => {
        done();
        // A pooled connection closed by the active node between two requests: nothing was served.
        if (req.reusedSocket && (err as NodeJS.ErrnoException).code === 'ECONNRESET')
          Object.assign(err, { reused: true });
        reject(err);
      });
      req.end(body);
    });
  }
}
