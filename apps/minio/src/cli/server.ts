// `minio server DIR [--address :9000] [--certs-dir DIR]`: serves DIR over HTTP, or HTTPS when the certs
// directory holds public.crt and private.key (as MinIO does), until SIGINT/SIGTERM.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseFlags, UsageError } from '@kms-chain/cli';
import { tuneMalloc } from '@kms-chain/libc';
import { createLogger, type Logger, parseLogFormat, parseLogLevel } from '@kms-chain/log';
import { loadAuditEnv, trustedCas } from '../audit/config.js';
import { createAuditTargets } from '../audit/targets.js';
import { loadCertsDir } from '../config/certs.js';
import { ConfigError, loadEnvConfig, parseAddress } from '../config/env.js';
import { loadKmsEnv } from '../kms/config.js';
import { checkKms, createKms, keepKeyWarm } from '../kms/connect.js';
import type { Kms } from '../kms/kms.js';
import { buildServer } from '../server.js';

const serverFlags = {
  address: { type: 'string' },
  'certs-dir': { type: 'string' },
  json: { type: 'boolean' },
} as const;

/**
 * The server's logger on stdout. MinIO itself has a `--json` flag and no level setting; here
 * MINIO_LOG_LEVEL (trace, debug, info, warn, error; default info) and MINIO_LOG_FORMAT (standard,
 * json) set them as Vault's log_level and log_format do (apps/minio/README.md#logs).
 */
function serverLogger(env: NodeJS.ProcessEnv, json: boolean): Logger {
  const read = <T>(name: string, parse: (text: string) => T): T => {
    try {
      return parse(env[name] ?? '');
    } catch (err) {
      throw new ConfigError(`${name}: ${(err as Error).message}`);
    }
  };
  const level = read('MINIO_LOG_LEVEL', parseLogLevel);
  const format = json ? 'json' : read('MINIO_LOG_FORMAT', parseLogFormat);
  return createLogger({ service: 'minio', level, format });
}

/** Runs the server subcommand; resolves to the exit code once the server has stopped. */
export async function runServer(args: string[]): Promise<number> {
  // libuv's pool (every body write, fsync and rename) keeps its default of 4 threads: 16 threads halve
  // 4 KiB PUT throughput on ext4 (file creation contends in the kernel), and the variable could not be
  // set from here anyway — Node 20's ESM loader has started the pool before this code runs.
  const { values, positionals } = parseFlags(args, serverFlags);
  if (positionals.length !== 1) throw new UsageError('expected exactly one data directory');
  // Body chunks and cipher outputs are short-lived buffers on many threads: two arenas and mmap for
  // blocks of 128 KiB and up keep the freed native heap from piling up (bench/README.md, memory).
  tuneMalloc({ arenaMax: 2, mmapThreshold: 128 * 1024 });
  // Configuration errors (ConfigError) reach the runner, which prints them and exits 1.
  const address = parseAddress(values.address ?? ':9000');
  const log = serverLogger(process.env, values.json === true);
  const env = loadEnvConfig(process.env);
  const kmsEnv = loadKmsEnv(process.env);
  const auditEnv = loadAuditEnv(process.env);
  const tls = loadCertsDir(values['certs-dir'] ?? join(homedir(), '.minio', 'certs'));
  let kms: Kms | undefined;
  if (kmsEnv.kms) {
    try {
      kms = await createKms(kmsEnv.kms, {
        certWatch: {
          onReload: ({ changed, error }) => {
            if (error) log.warn({ err: error }, 'kms: keeping the KES client certificate');
            else if (changed) log.info('kms: reloaded the KES client certificate');
          },
        },
      });
      await checkKms(kms);
    } catch (err) {
      kms?.close();
      process.stderr.write(`Error: ${(err as Error).message}\n`);
      return 1;
    }
  }
  const stopWarm = kms ? keepKeyWarm(kms) : () => {};
  const dataDir = resolve(positionals[0]!);
  // Webhooks trust the system's roots and the certs directory's CAs/, as MinIO's do.
  const audit = createAuditTargets(auditEnv, {
    trustedCas: trustedCas(join(values['certs-dir'] ?? join(homedir(), '.minio', 'certs'), 'CAs')),
  });

  const app = buildServer({
    ...env,
    dataDir,
    tls,
    logger: log,
    kms,
    autoEncryption: kmsEnv.autoEncryption,
    allowInsecureSseC: kmsEnv.allowInsecureSseC,
    audit,
  });
  await app.listen({ host: address.host === '' ? '::' : address.host, port: address.port });
  const scheme = tls ? 'https' : 'http';
  const bound = app.server.address();
  const port = typeof bound === 'object' && bound ? bound.port : address.port;
  const shown =
    address.host === '' || address.host === '::' || address.host === '0.0.0.0' ? '127.0.0.1' : address.host;
  process.stdout.write(
    `MinIO Object Storage Server\nAPI: ${scheme}://${shown.includes(':') ? `[${shown}]` : shown}:${port}\nRootUser: ${env.credentials.accessKey}\n`,
  );
  if (env.isDefaultCredentials) {
    process.stdout.write(
      "WARNING: Detected default credentials 'minioadmin:minioadmin'; set MINIO_ROOT_USER and MINIO_ROOT_PASSWORD.\n",
    );
  }
  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      stopWarm();
      app
        .close()
        .then(done, done)
        .finally(() => kms?.close());
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return 0;
}
