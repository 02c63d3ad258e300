// `minio server DIR [--address :9000] [--certs-dir DIR]`: serves DIR over HTTP, or HTTPS when the certs
// directory holds public.crt and private.key (as MinIO does), until SIGINT/SIGTERM.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseFlags, UsageError } from '@kms-chain/cli';
import { createLogger, type Logger, parseLogFormat, parseLogLevel } from '@kms-chain/log';
import { loadAuditEnv, trustedCas } from '../audit/config.js';
import { createAuditTargets } from '../audit/targets.js';
import { loadCertsDir } from '../config/certs.js';
import { ConfigError, loadEnvConfig, parseAddress } from '../config/env.js';
import { loadKmsEnv } from '../kms/config.js';
import { checkKms, createKms, keepKeyWarm } from '../kms/connect.js';
import type { Kms } from '../kms/kms.js';
import { buildServer } from '../server.js';

export const serverUsage = `NAME:
  minio server - start object storage server

USAGE:
  minio server [FLAGS] DIR

FLAGS:
  --address value    bind to a specific ADDRESS:PORT, ADDRESS can be an IP or hostname (default: ":9000")
  --certs-dir value  path to certs directory with public.crt and private.key (default: "~/.minio/certs")
  --json             log lines as JSON (as MINIO_LOG_FORMAT=json)
  --help, -h         show help

ENVIRONMENT VARIABLES:
  MINIO_ROOT_USER, MINIO_ROOT_PASSWORD   root credentials (legacy: MINIO_ACCESS_KEY, MINIO_SECRET_KEY)
  MINIO_SITE_REGION                      region (default us-east-1)
  MINIO_DOMAIN                           domain(s) for virtual-host-style bucket addressing
  MINIO_KMS_KES_ENDPOINT, MINIO_KMS_KES_KEY_NAME, MINIO_KMS_KES_CAPATH   a KES server for SSE-S3/SSE-KMS,
  with MINIO_KMS_KES_API_KEY=kes:v1:… or MINIO_KMS_KES_CERT_FILE, MINIO_KMS_KES_KEY_FILE[,
  MINIO_KMS_KES_KEY_PASSWORD] (re-read when they change, every 15 min and on SIGHUP)
  MINIO_KMS_SECRET_KEY[_FILE]=name:base64, MINIO_KMS_MASTER_KEY[_FILE]=name:hex   or one static key
  MINIO_KMS_AUTO_ENCRYPTION=on           encrypt every new object (SSE-KMS with the default key)
  MINIO_API_SSEC_ALLOW_INSECURE=on       accept SSE-C over plain HTTP (only behind a TLS-terminating proxy)
  MINIO_AUDIT_WEBHOOK_ENABLE[_ID]=on, MINIO_AUDIT_WEBHOOK_ENDPOINT[_ID]   audit entries to a webhook, with
  _AUTH_TOKEN, _CLIENT_CERT, _CLIENT_KEY, _BATCH_SIZE, _QUEUE_SIZE, _HTTP_TIMEOUT[_ID]
  MINIO_AUDIT_FILE_ENABLE=on, MINIO_AUDIT_FILE_PATH   audit entries as JSON lines to a file (not in MinIO)
  MINIO_PROMETHEUS_AUTH_TYPE=public      /minio/v2/metrics/* without the bearer token (default jwt)
`;

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
