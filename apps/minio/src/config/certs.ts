// TLS as MinIO configures it: the certs directory (--certs-dir, default ~/.minio/certs) holds
// public.crt and private.key; when both are there the server speaks HTTPS, otherwise plain HTTP.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from './env.js';

/** PEM certificate chain and key for the HTTPS server. */
export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
}

/**
 * Loads public.crt and private.key from `dir`. Returns undefined when neither exists; throws ConfigError
 * when only one does or a file cannot be read.
 */
export function loadCertsDir(dir: string): TlsFiles | undefined {
  const certFile = join(dir, 'public.crt');
  const keyFile = join(dir, 'private.key');
  const hasCert = existsSync(certFile);
  const hasKey = existsSync(keyFile);
  if (!hasCert && !hasKey) return undefined;
  if (!hasCert) throw new ConfigError(`--certs-dir: ${keyFile} exists but ${certFile} is missing`);
  if (!hasKey) throw new ConfigError(`--certs-dir: ${certFile} exists but ${keyFile} is missing`);
  try {
    return { cert: readFileSync(certFile), key: readFileSync(keyFile) };
  } catch (err) {
    throw new ConfigError(`--certs-dir: cannot read the certificate or key: ${(err as Error).message}`);
  }
}
