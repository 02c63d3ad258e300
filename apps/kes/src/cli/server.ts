// `kes server`: every era's flags (docs/kes-protocol.md#kes-server) over one config model.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliError, parseFlags, UsageError } from '@kms-chain/cli';
import { type LogFormat, type LogLevel, parseLogFormat, parseLogLevel } from '@kms-chain/log';
import { createCertificate } from '@kms-chain/tls-identity';
import { formatGoDuration } from '../config/duration.js';
import { loadConfig } from '../config/load.js';
import { normalizeAdmin } from '../config/toml.js';
import type { ServerConfig } from '../config/types.js';
import { MemKeystore } from '../keystore/mem/index.js';
import { type BuildOptions, buildServer, reloadPolicies } from '../server.js';
import { apiKeyCertificate, newApiKey } from './api-key.js';
import type { Io } from './io.js';

const serverFlags = {
  config: { type: 'string' },
  addr: { type: 'string' },
  root: { type: 'string' },
  'mtls-auth': { type: 'string' },
  auth: { type: 'string' },
  key: { type: 'string' },
  cert: { type: 'string' },
  'tls-key': { type: 'string' },
  'tls-cert': { type: 'string' },
  mlock: { type: 'boolean' },
  dev: { type: 'boolean' },
  quiet: { type: 'boolean', aliases: ['q'] },
  'log-level': { type: 'string' },
  'log-format': { type: 'string' },
} as const;

/**
 * `--mlock`: KES calls mlockall(MCL_CURRENT|MCL_FUTURE). Node has no binding for it and this
 * project takes no native addon, so the flag is accepted, memory is NOT locked, and one line is
 * printed to stderr: `WARNING: --mlock: memory locking is not supported by this KES build; key
 * material may be swapped to disk`. The server then starts normally (exit code unaffected).
 */
export const MLOCK_WARNING =
  'WARNING: --mlock: memory locking is not supported by this KES build; key material may be swapped to disk\n';

/** Splits `[host]:port` (Go's form: ":7373" = all interfaces). */
export function parseAddress(addr: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]*)\]|([^:]*)):(\d{1,5})$/.exec(addr.trim());
  if (!m) throw new UsageError(`invalid address '${addr}': expected [ip]:port`);
  const port = Number(m[3]);
  if (port > 65535) throw new UsageError(`invalid address '${addr}': port out of range`);
  const host = m[1] ?? m[2] ?? '';
  return { host: host === '' ? '0.0.0.0' : host, port };
}

async function devConfig(io: Io): Promise<{ config: ServerConfig; build: BuildOptions }> {
  const dir = await mkdtemp(join(tmpdir(), 'kes-dev-'));
  const server = await createCertificate({
    subject: { commonName: 'localhost' },
    dns: ['localhost'],
    ip: ['127.0.0.1', '::1'],
    serverAuth: true,
    validityDays: 30,
  });
  // As KES HEAD: the admin is a fresh API key (usable as KES_API_KEY); its certificate is also
  // written out for clients that only take key/cert files.
  const apiKey = newApiKey();
  const admin = await apiKeyCertificate(apiKey);
  await writeFile(join(dir, 'admin.key'), admin.keyPem, { mode: 0o600 });
  await writeFile(join(dir, 'admin.crt'), admin.certPem);
  io.err(
    `Admin API key:     ${apiKey}\nAdmin client key:  ${join(dir, 'admin.key')}\nAdmin client cert: ${join(dir, 'admin.crt')}\n`,
  );
  const config: ServerConfig = {
    file: '',
    era: 'yaml',
    address: '0.0.0.0:7373',
    admin: admin.identity,
    tls: { key: '', cert: '', clientAuth: 'ignore' },
    policies: [],
    policyMatch: 'prefix',
    errors: 'head',
    cache: { anyMs: 300_000, unusedMs: 30_000, offlineMs: 0 },
    log: { error: true, audit: false, errorFiles: [], auditFiles: [] },
    skipAuth: [],
    timeouts: {},
    keys: [],
    keystore: { kind: 'mem' },
  };
  return {
    config,
    build: { keystore: new MemKeystore(), tls: { key: server.keyPem, cert: server.certPem } },
  };
}

/** Runs the server until SIGINT/SIGTERM; resolves to the exit code. */
export async function serverCommand(args: string[], io: Io, signal?: AbortSignal): Promise<number> {
  const { values } = parseFlags(args, serverFlags);
  if (!values.config && !values.dev)
    throw new UsageError('no config file specified: use --config=FILE or --dev');
  // Checked before anything else happens (--dev would print a fresh admin key first).
  let logLevel: LogLevel | undefined;
  let logFormat: LogFormat | undefined;
  try {
    const level = values['log-level'] || io.env['KES_LOG_LEVEL'];
    const format = values['log-format'] || io.env['KES_LOG_FORMAT'];
    if (level) logLevel = parseLogLevel(level);
    if (format) logFormat = parseLogFormat(format);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  let config: ServerConfig;
  let build: BuildOptions = {};
  if (values.dev) ({ config, build } = await devConfig(io));
  else config = await loadConfig(values.config!, io.env);

  if (values.addr) config.address = values.addr;
  if (values.root !== undefined) config.admin = normalizeAdmin(values.root);
  const keyFile = values['tls-key'] ?? values.key;
  const certFile = values['tls-cert'] ?? values.cert;
  if (keyFile) config.tls.key = keyFile;
  if (certFile) config.tls.cert = certFile;
  const mtls = values['mtls-auth'];
  if (mtls !== undefined) {
    if (mtls !== 'verify' && mtls !== 'ignore')
      throw new UsageError(`invalid --mtls-auth '${mtls}': expected verify or ignore`);
    config.tls.clientAuth = mtls;
  }
  if (values.auth !== undefined) {
    if (values.auth !== 'on' && values.auth !== 'off')
      throw new UsageError(`invalid --auth '${values.auth}': expected on or off`);
    config.tls.clientAuth = values.auth === 'on' ? 'verify' : 'ignore';
  }
  if (!values.dev && (!config.tls.key || !config.tls.cert)) {
    throw new CliError('no TLS private key or certificate: set tls.key and tls.cert or use --key/--cert');
  }
  if (logLevel) config.log.level = logLevel;
  if (logFormat) config.log.format = logFormat;
  const { host, port } = parseAddress(config.address);
  if (values.mlock) io.err(MLOCK_WARNING);

  const app = await buildServer(config, build);
  try {
    await app.listen({ host, port });
  } catch (err) {
    await app.close();
    throw new CliError(`failed to listen on ${config.address}: ${(err as Error).message}`);
  }
  if (!values.quiet) {
    const ks = config.keystore;
    const where =
      ks.kind === 'vault'
        ? `Hashicorp Vault: ${ks.endpoints.join(', ')}`
        : ks.kind === 'fs'
          ? `Filesystem: ${ks.path}`
          : 'In-Memory';
    const addr = app.server.address();
    const shown = typeof addr === 'object' && addr ? `${addr.address}:${addr.port}` : config.address;
    io.out(
      [
        `Version     ${app.kes.version.version}`,
        `KMS         ${where}`,
        `Endpoint    https://${shown}`,
        `Admin       ${config.admin ?? '_ [ disabled ]'}`,
        `Auth        ${config.tls.clientAuth === 'verify' ? 'on (verify client certificates)' : 'off (any client certificate)'}`,
        `Cache       any=${formatGoDuration(config.cache.anyMs)} unused=${formatGoDuration(config.cache.unusedMs)} offline=${formatGoDuration(config.cache.offlineMs)}`,
        `Mlock       ${values.mlock ? 'requested, not available' : 'off'}`,
        '',
      ].join('\n'),
    );
  }
  // SIGHUP re-reads the config file and applies its policies, identities and admin
  // (docs/kes-protocol.md#yaml-at-head).
  const reload = (): void => {
    if (!values.config) return;
    loadConfig(values.config, io.env).then(
      (next) => {
        if (values.root !== undefined) next.admin = normalizeAdmin(values.root);
        reloadPolicies(app, next);
        app.kes.logs.logger.info('kes: configuration reloaded (policies, identities, admin)');
      },
      (err: Error) => app.kes.logs.error(`kes: failed to reload configuration: ${err.message}`),
    );
  };
  process.on('SIGHUP', reload);
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    signal?.addEventListener('abort', stop, { once: true });
  });
  process.off('SIGHUP', reload);
  await app.close();
  return 0;
}
