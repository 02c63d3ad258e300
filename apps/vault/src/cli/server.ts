// vault server -config FILE|DIR [...] | -dev
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type tls from 'node:tls';
import { parseFlags, UsageError } from '@kms-chain/cli';
import { createLogger, type Logger, parseLogFormat, parseLogLevel } from '@kms-chain/log';
import { type ListenerConfig, loadConfigFiles, NO_TELEMETRY_STANZA, type ServerConfig } from '../config.js';
import { Core } from '../core.js';
import { goDurationString } from '../duration.js';
import { advertisedClusterAddr, setUpClustering } from '../http/cluster-node.js';
import { type Listener, listen } from '../http/listen.js';
import { buildServer } from '../http/server.js';
import { lockMemory, mlockFailureMessage } from '../mlock.js';
import { migrationStatus } from '../storage/migrate.js';
import { type OpenStorage, openStorage } from '../storage/open.js';
import { Telemetry } from '../telemetry.js';
import { BUILD_DATE, VAULT_VERSION } from '../version.js';
import { tokenHelperPath } from './client.js';
import { err, out } from './io.js';

/**
 * The server's logger on stdout, after the banner as Vault's: the level from `-log-level`, else
 * VAULT_LOG_LEVEL, else `log_level`; the format from `-log-format`, else VAULT_LOG_FORMAT, else
 * `log_format`. An unknown word is a start-up error (`unknown log level: …`).
 */
function serverLogger(config: ServerConfig, flags: { level?: string; format?: string }): Logger {
  config.logLevel = flags.level || process.env['VAULT_LOG_LEVEL'] || config.logLevel;
  config.logFormat = flags.format || process.env['VAULT_LOG_FORMAT'] || config.logFormat;
  return createLogger({
    service: 'vault',
    level: parseLogLevel(config.logLevel),
    format: parseLogFormat(config.logFormat),
  });
}

function splitAddress(address: string): { host: string; port: number } {
  const idx = address.lastIndexOf(':');
  const host = address.slice(0, idx).replace(/^\[|\]$/g, '') || '0.0.0.0';
  return { host, port: Number(address.slice(idx + 1)) };
}

function banner(config: ServerConfig, mlock: { supported: boolean; enabled: boolean }, ha: boolean): string {
  const first = config.listeners[0]!;
  const { host, port } = splitAddress(first.address);
  const scheme = first.tlsDisable ? 'http' : 'https';
  const advertisedHost = host === '0.0.0.0' ? '127.0.0.1' : host;
  const apiAddr = config.apiAddr || `${scheme}://${advertisedHost}:${port}`;
  const clusterAddr = config.clusterAddr || `https://${advertisedHost}:${port + 1}`;
  const entries: Array<[string, string]> = [
    ['Api Address', apiAddr],
    ['Cgo', 'disabled'],
    ['Cluster Address', clusterAddr],
  ];
  config.listeners.forEach((l, i) => {
    const lp = splitAddress(l.address);
    entries.push([
      `Listener ${i + 1}`,
      `tcp (addr: "${l.address}", cluster address: "${lp.host}:${lp.port + 1}", max_request_duration: "${goDurationString(l.maxRequestDuration)}", max_request_size: "${l.maxRequestSize}", tls: "${l.tlsDisable ? 'disabled' : 'enabled'}")`,
    ]);
  });
  entries.push(
    ['Log Level', config.logLevel],
    ['Mlock', `supported: ${mlock.supported}, enabled: ${mlock.enabled}`],
    ['Recovery Mode', 'false'],
    ['Storage', ha ? `${config.storage.type} (HA available)` : config.storage.type],
    ['Version', `Vault v${VAULT_VERSION}, built ${BUILD_DATE}`],
  );
  const width = Math.max(...entries.map(([k]) => k.length));
  return [
    '==> Vault server configuration:',
    '',
    ...entries.map(([k, v]) => `${k.padStart(width)}: ${v}`),
    '',
    '==> Vault server started! Log data will stream in below:',
    '',
  ].join('\n');
}

async function tlsOptions(
  l: ListenerConfig,
): Promise<{ cert: Buffer; key: Buffer; minVersion: tls.SecureVersion; maxVersion?: tls.SecureVersion }> {
  const read = async (file: string, field: string) => {
    try {
      return await readFile(resolve(file));
    } catch (e) {
      throw new Error(
        `Error initializing listener of type tcp: error loading TLS cert: open ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message} (${field})`,
      );
    }
  };
  return {
    cert: await read(l.tlsCertFile!, 'tls_cert_file'),
    key: await read(l.tlsKeyFile!, 'tls_key_file'),
    minVersion: l.tlsMinVersion,
    ...(l.tlsMaxVersion ? { maxVersion: l.tlsMaxVersion } : {}),
  };
}

export async function server(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    config: { type: 'string', multiple: true },
    'dev-root-token-id': { type: 'string' },
    'dev-listen-address': { type: 'string' },
    'log-level': { type: 'string' },
    'log-format': { type: 'string' },
    dev: { type: 'boolean' },
    'dev-no-store-token': { type: 'boolean' },
  });
  if (positionals.length) throw new UsageError(`Too many arguments (expected 0, got ${positionals.length})`);
  const dev = values.dev === true;
  const configs = values.config ?? [];
  if (!dev && configs.length === 0) {
    err(
      'No configuration files found. Please provide configurations with the\n-config flag. If you are supplying the path to a directory, please\nensure the directory contains files with the .hcl or .json extension.',
    );
    return 1;
  }
  let config: ServerConfig;
  if (dev) {
    config = {
      storage: { type: 'inmem', options: {} },
      listeners: [
        {
          address:
            values['dev-listen-address'] ?? (process.env['VAULT_DEV_LISTEN_ADDRESS'] || '127.0.0.1:8200'),
          tlsDisable: true,
          tlsMinVersion: 'TLSv1.2',
          maxRequestSize: 33554432,
          maxRequestDuration: 90,
          unauthenticatedMetricsAccess: false,
        },
      ],
      apiAddr: '',
      clusterAddr: '',
      disableClustering: false,
      defaultLeaseTtl: 768 * 3600,
      maxLeaseTtl: 768 * 3600,
      disableMlock: true,
      allowAuditLogPrefixing: false,
      ui: true,
      clusterName: '',
      logLevel: 'info',
      logFormat: 'standard',
      // As Vault's dev server: Prometheus-format metrics on, with the default retention.
      telemetry: { ...NO_TELEMETRY_STANZA, prometheusRetentionTime: 24 * 3600 },
      ignoredKeys: [],
    };
  } else {
    try {
      config = await loadConfigFiles(configs);
    } catch (e) {
      err(`Error loading configuration from ${configs.join(', ')}: ${(e as Error).message}`);
      return 1;
    }
  }
  let logger: Logger;
  try {
    logger = serverLogger(config, { level: values['log-level'], format: values['log-format'] });
  } catch (e) {
    err((e as Error).message);
    return 1;
  }
  const log = (level: 'info' | 'warn' | 'error', message: string): void => logger[level](message);

  // Vault locks memory unless told not to, and will not start when the kernel refuses. Here the
  // key material is what gets locked (mlock.ts explains why not the whole process).
  const locked = config.disableMlock
    ? { supported: process.platform === 'linux', locked: false }
    : lockMemory();
  if (!config.disableMlock && locked.supported && !locked.locked) {
    err(
      `${mlockFailureMessage(locked.error ?? 'unknown error')}\nTo let this server lock memory, give its Node.js binary the capability, e.g.\n  setcap cap_ipc_lock=+ep "$(readlink -f "$(command -v node)")"\nor raise RLIMIT_MEMLOCK (ulimit -l) to at least 64 KiB.`,
    );
    return 1;
  }
  const mlock = { supported: locked.supported, enabled: locked.locked };

  let opened: OpenStorage;
  try {
    opened = await openStorage(config.storage);
  } catch (e) {
    err(`Error initializing storage of type ${config.storage.type}: ${(e as Error).message}`);
    return 1;
  }
  const migration = await migrationStatus(opened.storage).catch(() => undefined);
  if (migration) {
    opened.close();
    err(
      `ERROR! Storage migration in progress (started: ${migration.start}). Server startup is\nprevented until the migration completes. Use 'vault operator migrate -reset' to\nforce clear the migration lock.`,
    );
    return 1;
  }
  const core = new Core({
    storage: opened.storage,
    ...(opened.ha ? { ha: opened.ha } : {}),
    apiAddr: config.apiAddr,
    clusterAddr: advertisedClusterAddr(config),
    defaultLeaseTtl: config.defaultLeaseTtl,
    maxLeaseTtl: config.maxLeaseTtl,
    clusterName: config.clusterName,
    log,
    telemetry: new Telemetry(config.telemetry),
    allowAuditLogPrefixing: config.allowAuditLogPrefixing,
  });

  const clustering = setUpClustering(core, config, opened.ha !== undefined, log);
  const listeners: Listener[] = [];
  const apps: Array<ReturnType<typeof buildServer>> = [];
  try {
    for (const l of config.listeners) {
      const app = buildServer({
        core,
        maxRequestSize: l.maxRequestSize,
        maxRequestDuration: l.maxRequestDuration,
        tls: !l.tlsDisable,
        unauthenticatedMetricsAccess: l.unauthenticatedMetricsAccess,
        logger,
        ...(clustering.forwarder ? { forwarder: clustering.forwarder } : {}),
      });
      apps.push(app);
      const { host, port } = splitAddress(l.address);
      listeners.push(
        await listen(app, { host, port, ...(l.tlsDisable ? {} : { tls: await tlsOptions(l) }) }),
      );
    }
    listeners.push(...(await clustering.listen(apps[0]!)));
  } catch (e) {
    for (const l of listeners) await l.close();
    clustering.close();
    opened.close();
    const code = (e as NodeJS.ErrnoException).code;
    err(
      code === 'EADDRINUSE'
        ? `Error initializing listener of type tcp: listen tcp ${(e as { address?: string }).address}:${(e as { port?: number }).port}: bind: address already in use`
        : (e as Error).message,
    );
    return 1;
  }

  out(banner(config, mlock, opened.ha !== undefined));
  if (!config.disableMlock && !mlock.supported)
    out(
      'WARNING! mlock is not supported on this system! An mlockall(2)-like syscall to prevent\nmemory from being swapped to disk is not supported on this system. For better security,\nonly run Vault on systems where this call is supported. If you are running Vault in a\nDocker container, provide the IPC_LOCK cap to the container.\n',
    );
  for (const k of config.ignoredKeys) log('warn', `config: unsupported key ignored: key=${k}`);
  for (const l of config.listeners)
    logger.info({ address: l.address, tls: !l.tlsDisable }, 'core: listening for API requests');

  if (dev) {
    const { keys, rootToken } = await core.init(1, 1);
    await core.unseal(keys[0]!.toString('base64'), false);
    let token = rootToken;
    const wanted = values['dev-root-token-id'] ?? process.env['VAULT_DEV_ROOT_TOKEN_ID'] ?? '';
    if (wanted) {
      const entry = await core.tokens.lookup(rootToken);
      await core.tokens.create({
        policies: ['root'],
        path: 'auth/token/root',
        displayName: 'root',
        orphan: true,
        id: wanted,
      });
      if (entry) await core.tokens.revoke(entry);
      token = wanted;
    }
    await core.handle({
      operation: 'update',
      path: 'sys/mounts/secret',
      data: { type: 'kv', options: { version: '2' }, description: 'key/value secret storage' },
      token,
      clientAddr: '127.0.0.1',
    });
    if (!values['dev-no-store-token']) await writeFile(tokenHelperPath(), token, { mode: 0o600 });
    const addr = config.listeners[0]!.address;
    out(`WARNING! dev mode is enabled! In this mode, Vault runs entirely in-memory
and starts unsealed with a single unseal key. The root token is already
authenticated to the CLI, so you can immediately begin using Vault.

You may need to set the following environment variables:

    $ export VAULT_ADDR='http://${addr}'

The unseal key and root token are displayed below in case you want to
seal/unseal the Vault or re-authenticate.

Unseal Key: ${keys[0]!.toString('base64')}
Root Token: ${token}

Development mode should NOT be used in production installations!
`);
    for (const k of keys) k.fill(0);
  }

  return new Promise<number>((done) => {
    // SIGHUP reopens the file audit devices, as Vault's reload does: log rotation.
    const reload = () => {
      out('==> Vault reload triggered');
      core.audit.reopen();
    };
    const stop = async () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.off('SIGHUP', reload);
      out('==> Vault shutdown triggered');
      for (const l of listeners) await l.close();
      for (const a of apps) await a.close();
      clustering.close();
      await core.seal();
      opened.close();
      done(0);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    process.on('SIGHUP', reload);
  });
}
