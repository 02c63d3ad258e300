// Turns the KMS configuration into a running Kms and performs MinIO's startup check
// (docs/minio-sse.md#startup): GenerateKey(default key, context {}); on "key does not exist" CreateKey, tolerating "already
// exists" and "not authorised"; anything else refuses the start with "Failed to connect to KMS".
import { zeroize } from '@kms-chain/crypto';
import { apiKeyCertificate, clientTlsOptions } from '@kms-chain/tls-identity';
import { type CertWatchOptions, ClientCertFiles } from './client-cert.js';
import type { KesConfig, StaticKeyConfig } from './config.js';
import { KesClient } from './kes-client.js';
import { isKmsError, type Kms } from './kms.js';
import { StaticKeyKms } from './static-key.js';

/** Options of {@link createKms}. */
export interface ConnectOptions {
  /** Interval of the keep-warm DescribeKey of the default key, in ms (default 10 000; 0 = none). */
  describeIntervalMs?: number;
  /** KES client retry base delay (ms), for tests. */
  retryDelayMs?: number;
  /**
   * Renewal of a file-based client certificate (file changes, every 15 min, SIGHUP by default);
   * `false` = never re-read. Ignored for API keys and static keys.
   */
  certWatch?: CertWatchOptions | false;
}

/**
 * A Kms for the configuration: the static key, or a KES client authenticated by an API key (a
 * self-signed certificate made here, as MinIO does) or by the cert/key files (watched for renewal;
 * `close()` stops the watch). Throws an Error naming the variable when a file cannot be read, or a
 * TlsIdentityError when the credentials do not load.
 */
export async function createKms(
  config: KesConfig | StaticKeyConfig,
  opts: ConnectOptions = {},
): Promise<Kms> {
  if (config.kind === 'static') {
    const kms = new StaticKeyKms(config.keyName, config.key);
    zeroize(config.key);
    return kms;
  }
  const common = {
    endpoints: config.endpoints,
    defaultKeyId: config.keyName,
    ...(opts.retryDelayMs !== undefined ? { retryDelayMs: opts.retryDelayMs } : {}),
  };
  if (config.auth.kind === 'api-key') {
    const made = await apiKeyCertificate(config.auth.apiKey);
    const tls = clientTlsOptions({
      cert: made.certPem,
      key: made.keyPem,
      ...(config.caPem !== undefined ? { ca: config.caPem } : {}),
    });
    return new KesClient({ ...common, tls });
  }
  const files = new ClientCertFiles(config.auth, config.caPem);
  let stop = (): void => {};
  const client = new KesClient({ ...common, tls: files.tls, onClose: () => stop() });
  if (opts.certWatch !== false) stop = files.watch((tls) => client.replaceTls(tls), opts.certWatch);
  return client;
}

/**
 * Startup check of a Kms: generate a data key under the default key with context `{}`, creating the key
 * when it does not exist. Throws Error("Failed to connect to KMS: …") when the KMS is unusable.
 */
export async function checkKms(kms: Kms): Promise<void> {
  const ctx = Buffer.from('{}');
  try {
    const dk = await kms.generateKey(kms.defaultKeyId, ctx);
    zeroize(dk.plaintext);
    return;
  } catch (err) {
    if (!isKmsError(err) || err.kind !== 'key-not-found') {
      throw new Error(`Failed to connect to KMS: ${(err as Error).message}`);
    }
  }
  try {
    await kms.createKey(kms.defaultKeyId);
  } catch (err) {
    if (isKmsError(err) && (err.kind === 'key-exists' || err.kind === 'not-authorized')) return;
    throw new Error(`Failed to connect to KMS: ${(err as Error).message}`);
  }
}

/** Calls DescribeKey on the default key every `intervalMs` (unref'd); returns a stop function. */
export function keepKeyWarm(kms: Kms, intervalMs = 10_000): () => void {
  if (intervalMs <= 0) return () => {};
  const timer = setInterval(() => {
    kms.describeKey(kms.defaultKeyId).catch(() => {});
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
