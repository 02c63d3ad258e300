// `mc admin kms key list`: GET /minio/kms/v1/key/list?pattern=P answers madmin's KMSKeyInfo list,
// SigV4-signed like every admin call (the KES side is in e2e/test/prometheus.test.ts, whose chain's
// KES policy allows /v1/key/list/*).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KmsError } from '../src/kms/kms.js';
import { StaticKeyKms } from '../src/kms/static-key.js';
import { startServer, type TestServer } from './helpers.js';
import { send } from './raw-http.js';

describe('admin KMS key list', () => {
  let srv: TestServer;
  let refusing: TestServer;
  let none: TestServer;
  beforeAll(async () => {
    srv = await startServer({ kms: new StaticKeyKms('minio-static-key', randomBytes(32)) });
    const kms = new StaticKeyKms('k', randomBytes(32));
    kms.listKeys = async () => {
      throw new KmsError('not-authorized', 'not authorized: insufficient permissions');
    };
    refusing = await startServer({ kms });
    none = await startServer({});
  });
  afterAll(async () => {
    await srv?.close();
    await refusing?.close();
    await none?.close();
  });

  const list = (s: TestServer, query?: string, unsigned = false) =>
    send(s.port, { method: 'GET', path: '/minio/kms/v1/key/list', unsigned, ...(query ? { query } : {}) });

  it('lists the keys whose names start with the pattern, as MinIO: name only', async () => {
    for (const query of ['pattern=', 'pattern=%2A', 'pattern=minio-', 'pattern=minio-%2A', undefined]) {
      const r = await list(srv, query);
      expect(r.status, query).toBe(200);
      expect(r.headers['content-type']).toMatch(/^application\/json/);
      expect(JSON.parse(r.body), query).toEqual([{ createdAt: '', createdBy: '', name: 'minio-static-key' }]);
    }
    expect(JSON.parse((await list(srv, 'pattern=other-%2A')).body)).toEqual([]);
  });

  it('refuses an unsigned request and answers KMS failures and no KMS in JSON', async () => {
    const unsigned = await list(srv, 'pattern=%2A', true);
    expect(unsigned.status).toBe(403);
    expect(JSON.parse(unsigned.body).Code).toBe('AccessDenied');
    const refused = await list(refusing, 'pattern=%2A');
    expect(refused.status).toBe(500);
    expect(JSON.parse(refused.body)).toMatchObject({ Code: 'InternalError' });
    expect(JSON.parse(refused.body).Message).toContain('not authorized');
    const r = await list(none, 'pattern=%2A');
    expect(r.status).toBe(501);
    expect(JSON.parse(r.body).Code).toBe('NotImplemented');
  });
});
