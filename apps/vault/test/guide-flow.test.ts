// The guide's section 3 against the HTTP API in-process, plus the restart/seal cycle.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, harness, initAndUnseal } from './helpers.js';

let h: Harness;
afterEach(async () => h?.close());

const POLICY = 'path "kv/minio/*" {\n  capabilities = [ "create", "read", "delete" ]\n}\n';

async function guideSetup() {
  const { keys, root } = await initAndUnseal(h);
  expect((await h.call('POST', 'sys/mounts/kv', { type: 'kv' }, root)).status).toBe(204);
  expect((await h.call('POST', 'sys/auth/approle', { type: 'approle' }, root)).status).toBe(204);
  expect((await h.call('PUT', 'sys/policies/acl/minio-key-policy', { policy: POLICY }, root)).status).toBe(
    204,
  );
  expect(
    (
      await h.call(
        'PUT',
        'auth/approle/role/kes-role',
        { token_num_uses: '0', secret_id_num_uses: '0', period: '5m' },
        root,
      )
    ).status,
  ).toBe(204);
  expect(
    (await h.call('PUT', 'auth/approle/role/kes-role', { policies: 'minio-key-policy' }, root)).status,
  ).toBe(204);
  const roleId = (await h.call('GET', 'auth/approle/role/kes-role/role-id', undefined, root)).body.data
    .role_id;
  const secret = await h.call('PUT', 'auth/approle/role/kes-role/secret-id', null, root);
  expect(secret.status).toBe(200);
  return { keys, root, roleId, secretId: secret.body.data.secret_id as string };
}

describe('guide flow over the API', () => {
  it('init → unseal → kv → approle → login → read/write → 403 → restart sealed → unseal', async () => {
    h = await harness();
    expect((await h.call('GET', 'sys/init')).body).toEqual({ initialized: false });
    expect((await h.call('GET', 'kv/minio/k1')).status).toBe(503);
    const { keys, root, roleId, secretId } = await guideSetup();

    const role = await h.call('GET', 'auth/approle/role/kes-role', undefined, root);
    expect(role.body.data.token_period).toBe(300);
    expect(role.body.data.period).toBe(300);
    expect(role.body.data.token_policies).toEqual(['minio-key-policy']);
    expect(role.body.data.policies).toEqual(['minio-key-policy']);

    const login = await h.call('PUT', 'auth/approle/login', { role_id: roleId, secret_id: secretId });
    expect(login.status).toBe(200);
    expect(login.body.auth.policies).toEqual(['default', 'minio-key-policy']);
    expect(login.body.auth.lease_duration).toBe(300);
    expect(login.body.auth.metadata).toEqual({ role_name: 'kes-role' });
    expect(login.body.auth.client_token).toMatch(/^hvs\./);
    const token = login.body.auth.client_token as string;

    expect((await h.call('PUT', 'kv/minio/k1', { key: 'c2VjcmV0LXZhbHVlLTEyMw==' }, token)).status).toBe(204);
    const read = await h.call('GET', 'kv/minio/k1', undefined, token);
    expect(read.status).toBe(200);
    expect(read.body.data).toEqual({ key: 'c2VjcmV0LXZhbHVlLTEyMw==' });
    expect(read.body.lease_duration).toBe(604800);
    const denied = await h.call('PUT', 'kv/other/x', { a: 'b' }, token);
    expect(denied.status).toBe(403);
    expect(denied.body).toEqual({ errors: ['1 error occurred:\n\t* permission denied\n\n'] });
    expect((await h.call('PUT', 'kv/minio/k1', { key: 'x' }, token)).status).toBe(403); // update not granted

    await h.restart();
    const status = await h.call('GET', 'sys/seal-status');
    expect(status.body).toMatchObject({ sealed: true, initialized: true, t: 3, n: 5, progress: 0 });
    expect((await h.call('GET', 'kv/minio/k1', undefined, token)).body).toEqual({
      errors: ['Vault is sealed'],
    });
    const u1 = await h.call('PUT', 'sys/unseal', { key: keys[4] });
    expect(u1.body).toMatchObject({ sealed: true, progress: 1 });
    expect(u1.body.nonce).toMatch(/^[0-9a-f-]{36}$/);
    await h.call('PUT', 'sys/unseal', { key: keys[2] });
    const u3 = await h.call('PUT', 'sys/unseal', { key: keys[0] });
    expect(u3.body).toMatchObject({ sealed: false, progress: 0, nonce: '' });
    expect((await h.call('GET', 'kv/minio/k1', undefined, token)).body.data).toEqual({
      key: 'c2VjcmV0LXZhbHVlLTEyMw==',
    });
    expect((await h.call('GET', 'auth/token/lookup-self', undefined, root)).body.data.policies).toEqual([
      'root',
    ]);
  });

  it('keeps no secret, token or policy text in plaintext on disk', async () => {
    h = await harness();
    const { root, secretId } = await guideSetup();
    await h.call('PUT', 'kv/minio/k1', { key: 'PLAINTEXT-MARKER-4711' }, root);
    const files: string[] = [];
    const walk = async (d: string) => {
      for (const e of await readdir(d, { withFileTypes: true })) {
        if (e.isDirectory()) await walk(join(d, e.name));
        else files.push(join(d, e.name));
      }
    };
    await walk(join(h.dir, 'file'));
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) {
      const text = await readFile(f, 'utf8');
      const decoded = Buffer.from(JSON.parse(text).Value, 'base64').toString('latin1');
      for (const needle of ['PLAINTEXT-MARKER-4711', root, secretId, 'kv/minio', 'capabilities']) {
        expect(text.includes(needle)).toBe(false);
        expect(decoded.includes(needle)).toBe(false);
      }
      expect(f.includes(root.slice(4))).toBe(false);
    }
  });
});
