// Vault's `etcd` storage (API v3) on a real etcd cluster (docs/vault.md#etcd-storage). Keys are
// laid out as Vault lays them out: logical key `a/b` is the etcd key `<path>/a/b` (path default
// `/vault/`), the value the barrier's bytes as they are (no wrapper, unlike the file backend). A
// list is a prefix read of the keys alone, folded to immediate children.
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { posix } from 'node:path';
import { checkServerIdentity, connect as tlsConnect } from 'node:tls';
import { Etcd3, type IOptions } from 'etcd3';
import { z } from 'zod';
import { parseDurationSeconds } from '../duration.js';
import { VaultError } from '../errors.js';
import { EtcdHaLock } from './etcd-lock.js';
import { assertValidKey, type HaBackend, type HaLock, type Storage } from './storage.js';

/** Go's strconv.ParseBool spellings, as Vault reads its string-valued storage options. */
const goBool = (name: string) =>
  z.union([z.boolean(), z.string()]).transform((v, ctx) => {
    if (typeof v === 'boolean') return v;
    if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
    if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
    ctx.addIssue({ code: 'custom', message: `value [${v}] of '${name}' could not be understood` });
    return z.NEVER;
  });

/** Seconds, read as Vault reads these options (parseutil.ParseDurationSecond). */
const seconds = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const s = parseDurationSeconds(v);
  if (s === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected a duration like "5s", got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return s;
});

/** The `storage "etcd"` block: Vault's option names, every value a string in HCL. */
const etcdOptions = z
  .object({
    address: z.string().default('http://localhost:2379'),
    etcd_api: z.string().optional(),
    path: z.string().default('/vault/'),
    ha_enabled: goBool('ha_enabled').default(false),
    sync: goBool('sync').default(true),
    request_timeout: seconds.default(5),
    lock_timeout: seconds.default(15),
    tls_ca_file: z.string().optional(),
    tls_cert_file: z.string().optional(),
    tls_key_file: z.string().optional(),
    tls_server_name: z.string().optional(),
    username: z.string().optional(),
    password: z.string().optional(),
    max_receive_size: z.union([z.number(), z.string()]).optional(),
  })
  .loose();

export interface EtcdStorageOptions {
  endpoints: string[];
  /** Key prefix, always starting with `/`. */
  path: string;
  haEnabled: boolean;
  sync: boolean;
  /** Seconds per etcd call. */
  requestTimeout: number;
  /** Seconds: the TTL of the HA lock's lease. */
  lockTimeout: number;
  tls?: { ca?: string; cert?: string; key?: string; serverName?: string };
  auth?: { username: string; password: string };
  maxReceiveSize?: number;
}

/**
 * Validates a `storage "etcd"` block (ETCD_HA_ENABLED, ETCD_USERNAME and ETCD_PASSWORD override
 * it, as in Vault).
 * @throws Error naming the option that is wrong.
 */
export function parseEtcdOptions(raw: Record<string, unknown>, env = process.env): EtcdStorageOptions {
  const withEnv = { ...raw };
  if (env['ETCD_HA_ENABLED']) withEnv['ha_enabled'] = env['ETCD_HA_ENABLED'];
  if (env['ETCD_USERNAME']) withEnv['username'] = env['ETCD_USERNAME'];
  if (env['ETCD_PASSWORD']) withEnv['password'] = env['ETCD_PASSWORD'];
  const parsed = etcdOptions.safeParse(withEnv);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`storage.etcd.${issue.path.join('.')}: ${issue.message}`);
  }
  const o = parsed.data;
  if (o.etcd_api !== undefined && o.etcd_api !== 'v3' && o.etcd_api !== '3')
    throw new Error(
      `storage.etcd.etcd_api: only the v3 API is supported (got ${JSON.stringify(o.etcd_api)})`,
    );
  const endpoints = o.address
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a !== '');
  if (endpoints.length === 0) throw new Error('storage.etcd.address: at least one endpoint is required');
  for (const e of endpoints)
    if (!/^https?:\/\/[^/]+\/?$/.test(e))
      throw new Error(`storage.etcd.address: ${JSON.stringify(e)} is not an http(s)://host:port URL`);
  let maxReceiveSize: number | undefined;
  if (o.max_receive_size !== undefined) {
    maxReceiveSize = Number(o.max_receive_size);
    if (!Number.isInteger(maxReceiveSize) || maxReceiveSize < 0 || maxReceiveSize > 0xffffffff)
      throw new Error(`storage.etcd.max_receive_size: value (${o.max_receive_size}) could not be understood`);
  }
  const tls =
    // tls_server_name alone, on https endpoints, still names what to check (against the default roots).
    o.tls_ca_file ||
    o.tls_cert_file ||
    o.tls_key_file ||
    (o.tls_server_name && endpoints.some((e) => e.startsWith('https://')))
      ? {
          ...(o.tls_ca_file ? { ca: o.tls_ca_file } : {}),
          ...(o.tls_cert_file ? { cert: o.tls_cert_file } : {}),
          ...(o.tls_key_file ? { key: o.tls_key_file } : {}),
          ...(o.tls_server_name ? { serverName: o.tls_server_name } : {}),
        }
      : undefined;
  return {
    endpoints,
    path: o.path.startsWith('/') ? o.path : `/${o.path}`,
    haEnabled: o.ha_enabled,
    sync: o.sync,
    requestTimeout: o.request_timeout,
    lockTimeout: o.lock_timeout,
    ...(tls ? { tls } : {}),
    ...(o.username && o.password ? { auth: { username: o.username, password: o.password } } : {}),
    ...(maxReceiveSize !== undefined ? { maxReceiveSize } : {}),
  };
}

/**
 * A failed etcd call: the operation and the client's reason (never a key or a value), answered as
 * a 500 that says so, so an operator sees that etcd, not Vault, failed.
 */
export class EtcdStorageError extends VaultError {
  constructor(op: string, cause: unknown) {
    super(500, [`etcd ${op}: ${(cause as Error)?.message ?? String(cause)}`]);
    this.name = 'EtcdStorageError';
  }
}

export class EtcdStorage implements Storage, HaBackend {
  readonly type = 'etcd';
  readonly options: EtcdStorageOptions;
  readonly #client: Etcd3;

  private constructor(client: Etcd3, options: EtcdStorageOptions) {
    this.#client = client;
    this.options = options;
  }

  /**
   * Connects to the cluster. With `sync` (the default) the member list is read once and every
   * member's client URL becomes an endpoint, as Vault's client does.
   * @throws EtcdStorageError when no endpoint answers within the request timeout.
   */
  static async open(options: EtcdStorageOptions): Promise<EtcdStorage> {
    const base = await clientOptions(options);
    let client = new Etcd3({ ...base, hosts: options.endpoints });
    if (options.sync) {
      try {
        const { members } = await client.cluster.memberList({});
        const urls = [...new Set(members.flatMap((m) => m.clientURLs))];
        if (urls.length > 0) {
          client.close();
          client = new Etcd3({ ...base, hosts: urls });
        }
      } catch (err) {
        client.close();
        throw new EtcdStorageError('sync', await withTlsReason(err, options));
      }
    }
    return new EtcdStorage(client, options);
  }

  /** The etcd key of a logical key (or list prefix). */
  keyOf(key: string): string {
    return posix.join(this.options.path, key);
  }

  async get(key: string): Promise<Buffer | undefined> {
    assertValidKey(key);
    try {
      return (await this.#client.get(this.keyOf(key)).buffer()) ?? undefined;
    } catch (err) {
      throw new EtcdStorageError('get', err);
    }
  }

  async put(key: string, value: Uint8Array): Promise<void> {
    assertValidKey(key);
    try {
      await this.#client
        .put(this.keyOf(key))
        .value(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
    } catch (err) {
      throw new EtcdStorageError('put', err);
    }
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    try {
      await this.#client.delete().key(this.keyOf(key));
    } catch (err) {
      throw new EtcdStorageError('delete', err);
    }
  }

  async list(prefix: string): Promise<string[]> {
    assertValidKey(prefix, true);
    const base = `${this.keyOf(prefix)}/`.replace(/\/+$/, '/');
    let keys: string[];
    try {
      keys = await this.#client.getAll().prefix(base).keys();
    } catch (err) {
      throw new EtcdStorageError('list', err);
    }
    const out = new Set<string>();
    for (const k of keys) {
      const rest = k.slice(base.length);
      if (rest === '') continue;
      const slash = rest.indexOf('/');
      out.add(slash === -1 ? rest : rest.slice(0, slash + 1));
    }
    return [...out].sort();
  }

  /** A contender for the HA lock at `<path>core/lock`, held for `lock_timeout` without renewal. */
  haLock(value: string): HaLock {
    return new EtcdHaLock(this.#client, this.keyOf('core/lock'), value, this.options.lockTimeout);
  }

  close(): void {
    this.#client.close();
  }
}

async function clientOptions(o: EtcdStorageOptions): Promise<Omit<IOptions, 'hosts'>> {
  const grpcOptions: NonNullable<IOptions['grpcOptions']> = {};
  if (o.maxReceiveSize !== undefined) grpcOptions['grpc.max_receive_message_length'] = o.maxReceiveSize;
  if (o.tls?.serverName) grpcOptions['grpc.ssl_target_name_override'] = o.tls.serverName;
  const out: Omit<IOptions, 'hosts'> = {
    dialTimeout: o.requestTimeout * 1000,
    defaultCallOptions: () => ({ deadline: Date.now() + o.requestTimeout * 1000 }),
    grpcOptions,
  };
  if (o.tls) {
    const read = (f: string | undefined) => (f ? readFile(f) : undefined);
    const [ca, cert, key] = await Promise.all([read(o.tls.ca), read(o.tls.cert), read(o.tls.key)]);
    out.credentials = {
      // No tls_ca_file: the default trust store, as Vault's client uses the system's (grpc-js
      // takes null for that: GRPC_DEFAULT_SSL_ROOTS_FILE_PATH, else Node's; an empty buffer would
      // trust nothing).
      rootCertificate: ca ?? (null as unknown as Buffer),
      ...(key ? { privateKey: key } : {}),
      ...(cert ? { certChain: cert } : {}),
    };
  }
  if (o.auth) out.auth = { ...o.auth };
  return out;
}

/**
 * gRPC reports a failed TLS handshake as "No connection established" without the reason. When
 * that happens on an https endpoint, one handshake of our own with the same material names it
 * (an unknown CA, a name the certificate lacks, a client certificate etcd wants).
 */
async function withTlsReason(err: unknown, o: EtcdStorageOptions): Promise<unknown> {
  const endpoint = o.endpoints.find((e) => e.startsWith('https://'));
  if (!endpoint || !/UNAVAILABLE/.test((err as Error)?.message ?? '')) return err;
  const reason = await tlsHandshakeProblem(new URL(endpoint), o);
  return reason ? new Error(`${(err as Error).message.trim()} (TLS with ${endpoint}: ${reason})`) : err;
}

/** The reason a TLS handshake with `url` fails, or undefined when it succeeds (or cannot connect). */
async function tlsHandshakeProblem(url: URL, o: EtcdStorageOptions): Promise<string | undefined> {
  const read = (f: string | undefined) => (f ? readFile(f).catch(() => undefined) : undefined);
  // Without tls_ca_file, the trust store gRPC's client uses: the file GRPC_DEFAULT_SSL_ROOTS_FILE_PATH
  // names, else Node's.
  const caFile = o.tls?.ca ?? process.env['GRPC_DEFAULT_SSL_ROOTS_FILE_PATH'];
  const [ca, cert, key] = await Promise.all([read(caFile), read(o.tls?.cert), read(o.tls?.key)]);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const name = o.tls?.serverName ?? host;
  return new Promise((resolve) => {
    const socket = tlsConnect({
      host,
      port: Number(url.port || 443),
      ...(isIP(name) ? {} : { servername: name }),
      ...(ca ? { ca } : {}),
      ...(cert && key ? { cert, key } : {}),
      ALPNProtocols: ['h2'],
      checkServerIdentity: (_host, c) => checkServerIdentity(name, c),
      timeout: o.requestTimeout * 1000,
    });
    let settle: NodeJS.Timeout | undefined;
    const done = (reason: string | undefined) => {
      clearTimeout(settle);
      socket.destroy();
      resolve(reason);
    };
    // Under TLS 1.3 a server that wants a client certificate says so just after the handshake.
    socket.once('secureConnect', () => {
      settle = setTimeout(() => done(undefined), 300);
    });
    socket.once('timeout', () => done(undefined));
    socket.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ECONNREFUSED' || e.code === 'ECONNRESET') done(undefined);
      // OpenSSL's text for etcd's alert is a line of internals; say what it means.
      else if (
        e.code === 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE' ||
        e.code === 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'
      )
        done('etcd refused the client certificate (none given, or not from a CA it trusts)');
      else done(e.message);
    });
  });
}
