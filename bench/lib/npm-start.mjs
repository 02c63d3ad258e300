// `npm start` timed as a user meets it: `node scripts/start.mjs` on an empty data directory (dev
// PKI, Vault init + unseal, guide set-up, KES key, minio with auto-encryption), until the first
// SSE-S3 PUT succeeds. The servers are its children; SIGTERM stops them in order.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { freePort } from '@kms-chain/tools';
import { since } from './load.mjs';
import { startNode } from './proc.mjs';
import { ensureBucket, S3RequestError, s3Call, s3Endpoint } from './s3.mjs';

const root = resolve(import.meta.dirname, '..', '..');

/**
 * Seconds from spawning `npm start`'s script in `dataDir` (which must not hold a chain yet) to the
 * first SSE-S3 PUT it stores encrypted; `{ seconds }`, or `{ unsupported: reason }` when the chain
 * came up but would not store an SSE-S3 object. Rejects when the chain does not come up (see `log`).
 */
export async function timeNpmStart(dataDir, log, body) {
  const env = {
    KMS_CHAIN_DATA_DIR: dataDir,
    KMS_CHAIN_VAULT_PORT: String(await freePort()),
    KMS_CHAIN_KES_PORT: String(await freePort()),
    KMS_CHAIN_MINIO_PORT: String(await freePort()),
    MINIO_ROOT_USER: 'bench-start',
    MINIO_ROOT_PASSWORD: 'bench-start-secret',
  };
  const t0 = performance.now();
  const { proc } = await startNode('npm start', [join(root, 'scripts', 'start.mjs')], {
    ready: /kms-chain: ready/,
    env,
    log,
    timeoutMs: 180_000,
  });
  const ep = s3Endpoint({
    name: 'npm start minio',
    url: `https://127.0.0.1:${env.KMS_CHAIN_MINIO_PORT}`,
    creds: [env.MINIO_ROOT_USER, env.MINIO_ROOT_PASSWORD],
    ca: await readFile(join(dataDir, 'pki', 'ca.crt')),
  });
  try {
    await ensureBucket(ep, 'bench');
    const res = await s3Call(ep, 'PUT', '/bench/cold-start', {
      headers: { 'x-amz-server-side-encryption': 'AES256' },
      body,
    });
    if (res.headers['x-amz-server-side-encryption'] !== 'AES256')
      return { unsupported: 'minio stored the SSE-S3 PUT without reporting encryption' };
    return { seconds: since(t0) };
  } catch (err) {
    if (err instanceof S3RequestError) return { unsupported: err.message };
    throw err;
  } finally {
    ep.agent.destroy();
    await proc.stop('SIGTERM', 30_000);
  }
}
