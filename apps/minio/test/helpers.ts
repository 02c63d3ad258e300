// A real server on 127.0.0.1 over a temporary data directory, and clients pointed at it.
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { createDevPki } from '@kms-chain/tls-identity';
import type { FastifyInstance } from 'fastify';
import { buildServer, type ServerConfig } from '../src/server.js';

export { collect } from './units.js';

export const ACCESS_KEY = 'minio';
export const SECRET_KEY = 'minio123';

export interface TestServer {
  app: FastifyInstance;
  dir: string;
  endpoint: string;
  port: number;
  s3: S3Client;
  close(): Promise<void>;
}

/** Starts a server on an ephemeral loopback port. */
export async function startServer(overrides: Partial<ServerConfig> = {}): Promise<TestServer> {
  const dir = overrides.dataDir ?? (await mkdtemp(join(tmpdir(), 'minio-test-')));
  const app = buildServer({
    credentials: { accessKey: ACCESS_KEY, secretKey: SECRET_KEY },
    region: 'us-east-1',
    domains: ['localhost'],
    ...overrides,
    dataDir: dir,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const scheme = overrides.tls ? 'https' : 'http';
  const endpoint = `${scheme}://127.0.0.1:${port}`;
  const s3 = sdkClient(endpoint);
  return {
    app,
    dir,
    endpoint,
    port,
    s3,
    async close() {
      s3.destroy();
      await app.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** An AWS SDK v3 client with default checksum behaviour, path-style. */
export function sdkClient(endpoint: string, secretKey = SECRET_KEY): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: secretKey },
    maxAttempts: 1,
  });
}

/** Files left in the staging area (must be none once requests have ended). */
export async function stagingFiles(dir: string): Promise<string[]> {
  return readdir(join(dir, '.minio.sys', 'tmp'));
}

/** An object's folder in the store: <data>/<bucket>/<h[0:2]>/<h> with h = SHA-256 of the key. */
export function objectDir(dataDir: string, bucket: string, key: string): string {
  const h = createHash('sha256').update(key).digest('hex');
  return join(dataDir, bucket, h.slice(0, 2), h);
}

/** Hex MD5, the form of an S3 ETag. */
export function md5(data: Buffer | string): string {
  return createHash('md5').update(data).digest('hex');
}

/**
 * A dev PKI made under `work`, its server certificate and key laid out as a MinIO certs directory
 * (`<work>/certs`, for `--certs-dir` or loadCertsDir): that directory and the CA's PEM.
 */
export async function devCertsDir(work: string): Promise<{ certs: string; ca: string }> {
  const pki = await createDevPki(join(work, 'pki'), { clients: [] });
  const certs = join(work, 'certs');
  await mkdir(certs);
  await copyFile(pki.server.certPath, join(certs, 'public.crt'));
  await copyFile(pki.server.keyPath, join(certs, 'private.key'));
  return { certs, ca: pki.ca.certPem };
}
