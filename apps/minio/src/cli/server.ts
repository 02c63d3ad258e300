// `minio server DIR [--address :9000] [--certs-dir DIR]`: serves DIR over HTTP, or HTTPS when the certs
// directory holds public.crt and private.key (as MinIO does), until SIGINT/SIGTERM.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadCertsDir, type TlsFiles } from '../config/certs.js';
import { ConfigError, loadEnvConfig, parseAddress } from '../config/env.js';
import { loadKmsEnv } from '../kms/config.js';
import { checkKms, createKms, keepKeyWarm } from '../kms/connect.js';
import type { Kms } from '../kms/kms.js';
import { buildServer } from '../server.js';
import { parseOrExit } from './args.js';

const usage = `NAME:
  minio server - start object storage server

USAGE:
  minio server [FLAGS] DIR

FLAGS:
  --address value    bind to a specific ADDRESS:PORT, ADDRESS can be an IP or hostname (default: ":9000")
  --certs-dir value  path to certs directory with public.crt and private.key (default: "~/.minio/certs")
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
`;

/** Runs the server subcommand; resolves to the exit code once the server has stopped. */
export async function runServer(args: string[]): Promise<number> {
  // libuv's pool (every body write, fsync and rename) keeps its default of 4 threads: 16 threads halve
  // 4 KiB PUT throughput on ext4 (file creation contends in the kernel), and the variable could not be
  // set from here anyway — Node 20's ESM loader has started the pool before this code runs.
  const parsed = parseOrExit(() => parse(args), usage);
  if (typeof parsed === 'number') return parsed;
  if (parsed.positionals.length !== 1) {
    process.stderr.write(`Error: expected exactly one data directory\n\n${usage}`);
    return 2;
  }
  let address: ReturnType<typeof parseAddress>;
  let env: ReturnType<typeof loadEnvConfig>;
  let tls: TlsFiles | undefined;
  let kmsEnv: ReturnType<typeof loadKmsEnv>;
  try {
    address = parseAddress(parsed.values.address ?? ':9000');
    env = loadEnvConfig(process.env);
    kmsEnv = loadKmsEnv(process.env);
    tls = loadCertsDir(parsed.values['certs-dir'] ?? join(homedir(), '.minio', 'certs'));
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`Error: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  let kms: Kms | undefined;
  if (kmsEnv.kms) {
    try {
      kms = await createKms(kmsEnv.kms, {
        certWatch: {
          onReload: ({ changed, error }) => {
            if (error) process.stderr.write(`kms: keeping the KES client certificate: ${error.message}\n`);
            else if (changed) process.stderr.write('kms: reloaded the KES client certificate\n');
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
  const dataDir = resolve(parsed.positionals[0]!);

  const app = buildServer({
    ...env,
    dataDir,
    tls,
    logger: true,
    kms,
    autoEncryption: kmsEnv.autoEncryption,
    allowInsecureSseC: kmsEnv.allowInsecureSseC,
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

function parse(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      address: { type: 'string' },
      'certs-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
