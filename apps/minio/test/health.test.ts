// The health probes (docs/observability.md#health-the-object-stores-probes): live always, ready and cluster only while the KMS can
// describe the default key — one step past MinIO, whose readiness ignores the KMS.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KmsError } from '../src/kms/kms.js';
import { StaticKeyKms } from '../src/kms/static-key.js';
import { startServer, type TestServer } from './helpers.js';
import { CountingKms } from './sse-helpers.js';

/** The static key, unreachable while `down`, counting how often it was asked. */
class SwitchableKms extends CountingKms {
  down = false;
  describes = 0;
  override async describeKey(keyId: string): Promise<void> {
    this.describes++;
    if (this.down) throw new KmsError('unavailable', 'kms: the KMS is not reachable');
    return super.describeKey(keyId);
  }
}

let kms: SwitchableKms;
let withKms: TestServer;
let plain: TestServer;

beforeAll(async () => {
  kms = new SwitchableKms(new StaticKeyKms('minio-default', randomBytes(32)));
  withKms = await startServer({ kms });
  plain = await startServer();
});
afterAll(async () => {
  await withKms?.close();
  await plain?.close();
});

const status = async (srv: TestServer, path: string, method = 'GET') =>
  (await fetch(`${srv.endpoint}${path}`, { method })).status;
const waitVerdict = () => new Promise((r) => setTimeout(r, 1_100));

describe('health probes', () => {
  it('without a KMS: live, ready, cluster and cluster/read answer 200; maintenance is 412', async () => {
    for (const path of [
      '/minio/health/live',
      '/minio/health/ready',
      '/minio/health/cluster',
      '/minio/health/cluster/read',
    ])
      for (const method of ['GET', 'HEAD'])
        expect(await status(plain, path, method), `${method} ${path}`).toBe(200);
    const cluster = await fetch(`${plain.endpoint}/minio/health/cluster`);
    expect(cluster.headers.get('x-minio-write-quorum')).toBe('1');
    expect(await status(plain, '/minio/health/cluster?maintenance=true')).toBe(412);
  });

  it('ready and cluster fail while the KMS cannot describe the default key, and recover', async () => {
    expect(await status(withKms, '/minio/health/ready')).toBe(200);
    kms.down = true;
    await waitVerdict();
    expect(await status(withKms, '/minio/health/ready')).toBe(503);
    expect(await status(withKms, '/minio/health/cluster')).toBe(503);
    expect(await status(withKms, '/minio/health/cluster/read', 'HEAD')).toBe(503);
    // Liveness is about the process, not the KMS: a restart would not bring KES back.
    expect(await status(withKms, '/minio/health/live')).toBe(200);
    kms.down = false;
    await waitVerdict();
    expect(await status(withKms, '/minio/health/ready')).toBe(200);
  });

  it('asks the KMS at most once per second however often it is probed', async () => {
    await waitVerdict();
    const before = kms.describes;
    await Promise.all(Array.from({ length: 50 }, () => status(withKms, '/minio/health/ready')));
    expect(kms.describes - before).toBe(1);
  });
});
