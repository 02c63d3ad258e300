// TLS options for the chain's servers and clients: mutual TLS on the server side (KES's
// `--mtls-auth=verify|ignore`), one shared secure context per client, and the host-name check the
// guide's CN-only certificates need.

import * as https from 'node:https';
import { BlockList, isIP } from 'node:net';
import * as tls from 'node:tls';
import { TlsIdentityError } from './errors.js';
import { loadCertificates, loadKeyPair, privateKeyBlock } from './load.js';

/**
 * How a server treats client certificates:
 * - `verify` — a client certificate is required and must chain to `ca` (or, without `ca`, to
 *   Node's bundled roots); enforced in the handshake. KES `--mtls-auth=verify`, HEAD `tls.auth: on`.
 * - `ignore` — a client certificate is required, but any certificate is accepted, self-signed
 *   included (its identity still goes through policies). KES `--mtls-auth=ignore`, HEAD
 *   `tls.auth: off`. Node cannot require a certificate without verifying it, so the handshake lets a
 *   client without a certificate through; {@link enforceClientAuth} (or a request-level
 *   {@link identifyPeer}) must close such connections.
 * - `request` — a certificate is asked for and not required; any is accepted at the TLS level
 *   (`socket.authorized` tells whether it chained to `ca`). KES routes with `skip_auth`.
 * - `none` — no certificate is asked for (Vault's listener, the S3 endpoint).
 */
export type ClientAuth = 'verify' | 'ignore' | 'request' | 'none';

/** The TLS versions a caller may set as minimum; TLS 1.2 is the floor everywhere. */
export type TlsMinVersion = 'TLSv1.2' | 'TLSv1.3';

const CLIENT_AUTH: readonly ClientAuth[] = ['verify', 'ignore', 'request', 'none'];

function invalid(message: string): TlsIdentityError {
  return new TlsIdentityError('options/invalid', message);
}

function checkMinVersion(v: unknown): TlsMinVersion {
  if (v === undefined) return 'TLSv1.2';
  if (v !== 'TLSv1.2' && v !== 'TLSv1.3') throw invalid(`minVersion: expected "TLSv1.2" or "TLSv1.3"`);
  return v;
}

/** Loads `ca` and returns it as an array of single-certificate PEM strings. */
function caPems(ca: string | Uint8Array): string[] {
  return loadCertificates(ca).map((c) => c.toString());
}

/** Input of {@link mtlsServerOptions}. */
export interface MtlsServerInput {
  /** The server's certificate chain, PEM (leaf first). */
  cert: string | Uint8Array;
  /** The server's private key, PEM; may be encrypted (then `password` is required). */
  key: string | Uint8Array;
  /** Password of an encrypted `key`. */
  password?: string;
  /** CA certificates (PEM, one or more) that client certificates must chain to in `verify` mode. */
  ca?: string | Uint8Array;
  /** Client-certificate policy; see {@link ClientAuth}. */
  clientAuth: ClientAuth;
  /** Minimum TLS version; default and floor `TLSv1.2`. */
  minVersion?: TlsMinVersion;
}

/**
 * Options for `https.createServer`, `tls.createServer`, `http2.createSecureServer` or fastify's
 * `https` option. Plain data: spread it and add your own (ALPN, timeouts).
 */
export interface MtlsServerOptions extends tls.SecureContextOptions {
  /** The certificate chain, re-encoded as PEM from the loaded certificates. */
  cert: string;
  /** The private-key PEM block exactly as given (still encrypted if it was). */
  key: string;
  /** The password, when the key is encrypted. */
  passphrase?: string;
  /** The CA certificates as PEM strings; only when `ca` was given. */
  ca?: string[];
  minVersion: TlsMinVersion;
  /** True unless `clientAuth` is `none`. */
  requestCert: boolean;
  /** True only for `verify`. */
  rejectUnauthorized: boolean;
}

/**
 * Builds TLS server options from PEM inputs, checking them first so that a bad file fails here with
 * a typed error instead of deep inside `tls.createSecureContext`: the chain and key must load and
 * the key must belong to the leaf (`key/mismatch`); `ca` must hold at least one certificate. TLS
 * 1.2 is the minimum always.
 *
 * In `ignore` mode the returned options alone let a client WITHOUT a certificate connect (Node's
 * `requestCert: true, rejectUnauthorized: false`); call {@link enforceClientAuth} on the server, or
 * reject requests whose {@link peerIdentity} is undefined.
 *
 * Errors (`TlsIdentityError`): `options/invalid` (unknown `clientAuth`/`minVersion`), and the
 * loaders' errors for `cert`, `key`, `ca`.
 */
export function mtlsServerOptions(opts: MtlsServerInput): MtlsServerOptions {
  if (!CLIENT_AUTH.includes(opts.clientAuth)) {
    throw invalid(`clientAuth: expected one of ${CLIENT_AUTH.join(', ')}`);
  }
  const minVersion = checkMinVersion(opts.minVersion);
  const { certificates } = loadKeyPair({ cert: opts.cert, key: opts.key, password: opts.password });
  const out: MtlsServerOptions = {
    cert: certificates.map((c) => c.toString()).join(''),
    key: privateKeyBlock(opts.key).text,
    minVersion,
    requestCert: opts.clientAuth !== 'none',
    rejectUnauthorized: opts.clientAuth === 'verify',
  };
  if (opts.password !== undefined) out.passphrase = opts.password;
  if (opts.ca !== undefined) out.ca = caPems(opts.ca);
  return out;
}

/**
 * Tells whether the peer on `socket` presented a certificate (of any kind, verified or not).
 */
export function hasPeerCertificate(socket: tls.TLSSocket): boolean {
  return socket.getPeerX509Certificate() !== undefined;
}

/**
 * Makes `server` close every connection whose client presented no certificate, for the modes that
 * require one (`verify`, `ignore`); a no-op for `request` and `none`. Needed for `ignore`, where
 * Node's handshake admits clients without a certificate; harmless for `verify`, where the handshake
 * already refused them. Works on `tls.Server`, `https.Server` and HTTP/2 secure servers (and so on
 * fastify's `app.server`): it listens to `secureConnection` and destroys the socket before any
 * request is read. The client sees the connection reset (with TLS 1.3, after its handshake
 * completed). Call once per server, before `listen`.
 */
export function enforceClientAuth(server: tls.Server, clientAuth: ClientAuth): void {
  if (clientAuth !== 'verify' && clientAuth !== 'ignore') return;
  server.on('secureConnection', (socket: tls.TLSSocket) => {
    if (!hasPeerCertificate(socket)) socket.destroy();
  });
}

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** True for `localhost` and loopback addresses (127.0.0.0/8, ::1, ::ffff:127.x.y.z; brackets allowed). */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '')
    .toLowerCase();
  if (h === 'localhost') return true;
  const family = isIP(h);
  if (family === 4) return loopback.check(h, 'ipv4');
  if (family === 6) return loopback.check(h, 'ipv6');
  return false;
}

/** The host names a certificate binds: DNS and IP SANs, or its CN(s) when it has no DNS SAN. */
function certificateHosts(cert: tls.PeerCertificate): string[] {
  const hosts: string[] = [];
  let hasDns = false;
  for (const part of (cert.subjectaltname ?? '').split(', ')) {
    if (part.startsWith('DNS:')) {
      hosts.push(part.slice(4));
      hasDns = true;
    } else if (part.startsWith('IP Address:')) {
      hosts.push(part.slice(11));
    }
  }
  if (!hasDns) {
    const cn = cert.subject?.CN as string | string[] | undefined;
    if (Array.isArray(cn)) hosts.push(...cn);
    else if (typeof cn === 'string') hosts.push(cn);
  }
  return hosts;
}

/**
 * A `checkServerIdentity` for clients in the chain: Node's `tls.checkServerIdentity` (SANs, wildcards,
 * CN fallback when there is no DNS SAN), plus one exception — when the client connects to a loopback
 * host (`localhost`, 127.0.0.0/8, ::1) and the certificate names a loopback host, the names are
 * treated as the same machine. That lets the guide's openssl certificates (`CN=localhost`, no SAN)
 * serve `https://127.0.0.1:8200` and `https://127.0.0.1:7373`, which Node alone rejects because an
 * IP must match an IP SAN. The certificate chain is still verified (Node calls this only after the
 * chain checked out); hosts that are not loopback are checked exactly as Node does.
 * Returns an Error to reject, undefined to accept.
 */
export function checkServerIdentity(hostname: string, cert: tls.PeerCertificate): Error | undefined {
  const err = tls.checkServerIdentity(hostname, cert);
  if (!err) return undefined;
  if (isLoopbackHost(hostname) && certificateHosts(cert).some(isLoopbackHost)) return undefined;
  return err;
}

/** Input of {@link clientTlsOptions} and {@link createClientAgent}. */
export interface ClientTlsInput {
  /** Client certificate chain, PEM, for mTLS (with `key`). */
  cert?: string | Uint8Array;
  /** Client private key, PEM (with `cert`); may be encrypted. */
  key?: string | Uint8Array;
  /** Password of an encrypted `key`. */
  password?: string;
  /** CA certificates (PEM) to verify the server with; default Node's bundled roots. */
  ca?: string | Uint8Array;
  /** SNI and name to check the server certificate against; default the request's host. */
  servername?: string;
  /** Verify the server certificate (chain and name); default true. `false` = `kes -k`. */
  rejectUnauthorized?: boolean;
  /** Minimum TLS version; default and floor `TLSv1.2`. */
  minVersion?: TlsMinVersion;
  /** Server name check; default {@link checkServerIdentity} (loopback-tolerant). */
  checkServerIdentity?: (hostname: string, cert: tls.PeerCertificate) => Error | undefined;
}

/**
 * Builds client connection options around ONE `tls.SecureContext` (created here, once): use the
 * result for `tls.connect`, `https.request`, an `https.Agent`, or undici's `connect` option. The
 * context carries the client certificate/key, the CA set and the minimum version; reusing it keeps
 * handshakes from re-parsing PEM. Inputs are checked as in {@link mtlsServerOptions}: `cert` and
 * `key` must be given together (`options/invalid`) and match (`key/mismatch`).
 */
export function clientTlsOptions(
  opts: ClientTlsInput,
): tls.ConnectionOptions & { secureContext: tls.SecureContext } {
  const minVersion = checkMinVersion(opts.minVersion);
  if ((opts.cert === undefined) !== (opts.key === undefined)) {
    throw invalid('cert and key: give both for a client certificate, or neither');
  }
  const ctx: tls.SecureContextOptions = { minVersion };
  if (opts.cert !== undefined && opts.key !== undefined) {
    const { certificates } = loadKeyPair({ cert: opts.cert, key: opts.key, password: opts.password });
    ctx.cert = certificates.map((c) => c.toString()).join('');
    ctx.key = privateKeyBlock(opts.key).text;
    if (opts.password !== undefined) ctx.passphrase = opts.password;
  }
  if (opts.ca !== undefined) ctx.ca = caPems(opts.ca);
  const out: tls.ConnectionOptions & { secureContext: tls.SecureContext } = {
    secureContext: tls.createSecureContext(ctx),
    minVersion,
    rejectUnauthorized: opts.rejectUnauthorized ?? true,
    checkServerIdentity: opts.checkServerIdentity ?? checkServerIdentity,
  };
  if (opts.servername !== undefined) out.servername = opts.servername;
  return out;
}

/** Input of {@link createClientAgent}: TLS inputs plus connection pooling. */
export interface ClientAgentInput extends ClientTlsInput {
  /** Keep connections open between requests; default true. */
  keepAlive?: boolean;
  /** TCP keep-alive initial delay in ms; default Node's (1000). */
  keepAliveMsecs?: number;
  /** Maximum sockets per host; default unlimited. */
  maxSockets?: number;
  /** Maximum idle sockets kept per host; default Node's (256). */
  maxFreeSockets?: number;
  /** Idle socket timeout in ms (sockets are closed after it); default none. */
  timeout?: number;
}

/**
 * An `https.Agent` for a client of the chain (MinIO → KES, KES → Vault, CLIs): keep-alive by default,
 * every connection sharing one secure context made once from the inputs ({@link clientTlsOptions}),
 * server certificates verified with the loopback-tolerant {@link checkServerIdentity}. Pass it as
 * `agent` to `https.request`. Errors: as {@link clientTlsOptions}. Call `agent.destroy()` to close idle
 * sockets at shutdown.
 */
export function createClientAgent(opts: ClientAgentInput): https.Agent {
  const agentOpts: https.AgentOptions = { ...clientTlsOptions(opts), keepAlive: opts.keepAlive ?? true };
  if (opts.keepAliveMsecs !== undefined) agentOpts.keepAliveMsecs = opts.keepAliveMsecs;
  if (opts.maxSockets !== undefined) agentOpts.maxSockets = opts.maxSockets;
  if (opts.maxFreeSockets !== undefined) agentOpts.maxFreeSockets = opts.maxFreeSockets;
  if (opts.timeout !== undefined) agentOpts.timeout = opts.timeout;
  return new https.Agent(agentOpts);
}
