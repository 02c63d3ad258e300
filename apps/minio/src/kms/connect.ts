// Turns the KMS configuration into a running Kms and performs MinIO's startup check (spec/minio-sse.md
// §7.3): GenerateKey(default key, context {}); on "key does not exist" CreateKey, tolerating "already
// exists" and "not authorised"; anything else refuses the start with "Failed to connect to KMS".
import { readFileSync } from 'node:fs';
import { zeroize } from '@kms-chain/crypto';
import { createClientAgent } from '@kms-chain/tls-identity';
import type { KesConfig, StaticKeyConfig } from './config.js';
import { KesClient } from './kes-client.js';
import { isKmsError, type Kms } from './kms.js';
import { StaticKeyKms } from './static-key.js';

/** Options of {@link connectKms}. */
export interface ConnectOptions {
  /** Interval of the keep-warm DescribeKey of the default key, in ms (default 10 000; 0 = none). */
  describeIntervalMs?: number;
  /** KES client retry base delay (ms), for tests. */
  retryDelayMs?: number;
}

/** A Kms plus the keep-warm timer; `close()` stops both. */
export function createKms(config: KesConfig | StaticKeyConfig, opts: ConnectOptions = {}): Kms {
  if (config.kind === 'static') {
    const kms = new StaticKeyKms(config.keyName, config.key);
    zeroize(config.key);
    return kms;
  }
  let cert: string;
  let key: string;
  try {
    cert = readFileSync(config.certFile, 'utf8');
  } catch (err) {
    throw new Error(`MINIO_KMS_KES_CERT_FILE: cannot read "${config.certFile}": ${(err as Error).message}`);
  }
  try {
    key = readFileSync(config.keyFile, 'utf8');
  } catch (err) {
    throw new Error(`MINIO_KMS_KES_KEY_FILE: cannot read "${config.keyFile}": ${(err as Error).message}`);
  }
  const agent = createClientAgent({
    cert,
    key,
    ...(config.keyPassword !== undefined ? { password: config.keyPassword } : {}),
    ...(config.caPem !== undefined ? { ca: config.caPem } : {}),
    keepAlive: true,
  });
  return new KesClient({
    endpoints: config.endpoints,
    defaultKeyId: config.keyName,
    agent,
    ...(opts.retryDelayMs !== undefined ? { retryDelayMs: opts.retryDelayMs } : {}),
  });
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
