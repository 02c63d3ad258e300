import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCertificate, loadCertificates } from '@kms-chain/tls-identity';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config/env.js';
import { expandEllipsis, loadKmsEnv } from './config.js';

const key32 = Buffer.alloc(32, 7);
const b64 = key32.toString('base64');
const hex = key32.toString('hex');
const kes = {
  MINIO_KMS_KES_ENDPOINT: 'https://127.0.0.1:7373',
  MINIO_KMS_KES_KEY_NAME: 'minio-default-key',
  MINIO_KMS_KES_CERT_FILE: '/x/client.crt',
  MINIO_KMS_KES_KEY_FILE: '/x/client.key',
};

const { MINIO_KMS_KES_CERT_FILE: _c, MINIO_KMS_KES_KEY_FILE: _k, ...kesNoFiles } = kes;
// A kms-go test vector (kes/apikey_test.go).
const API_KEY = 'kes:v1:AGaV6VXHasF0FnaB60WdCOeTZ8eTIDikL4zlN16c8NAs';

describe('loadKmsEnv', () => {
  it('reads an API key as the KES credentials (no certificate files)', () => {
    const c = loadKmsEnv({ ...kesNoFiles, MINIO_KMS_KES_API_KEY: ` ${API_KEY} ` });
    expect(c.kms).toMatchObject({ kind: 'kes', auth: { kind: 'api-key', apiKey: API_KEY } });
  });

  it('reads certificate files as the KES credentials', () => {
    const c = loadKmsEnv(kes);
    expect(c.kms).toMatchObject({
      auth: { kind: 'files', certFile: '/x/client.crt', keyFile: '/x/client.key', keyPassword: undefined },
    });
  });

  it('has no KMS by default', () => {
    expect(loadKmsEnv({})).toEqual({ kms: undefined, autoEncryption: false, allowInsecureSseC: false });
  });

  it('reads KES settings, trimming and expanding endpoints', () => {
    const c = loadKmsEnv({
      ...kes,
      MINIO_KMS_KES_ENDPOINT: ' https://kes{1...3}:7373 , https://127.0.0.1:7374',
      MINIO_KMS_KES_KEY_PASSWORD: 'pw',
      MINIO_KMS_AUTO_ENCRYPTION: 'on',
    });
    expect(c.kms).toMatchObject({
      kind: 'kes',
      endpoints: ['https://kes1:7373', 'https://kes2:7373', 'https://kes3:7373', 'https://127.0.0.1:7374'],
      keyName: 'minio-default-key',
      auth: { kind: 'files', keyPassword: 'pw' },
    });
    expect(c.autoEncryption).toBe(true);
  });

  it.each([
    [{ MINIO_KMS_KES_ENDPOINT: 'https://k:7373' }, "missing 'MINIO_KMS_KES_KEY_NAME'"],
    [{ ...kes, MINIO_KMS_KES_CERT_FILE: '' }, "missing 'MINIO_KMS_KES_CERT_FILE'"],
    [{ ...kes, MINIO_KMS_KES_ENDPOINT: 'http://k:7373' }, 'must use https'],
    [{ ...kes, MINIO_KMS_SECRET_KEY: `k:${b64}` }, 'MinIO KES and static KMS key'],
    [{ MINIO_KMS_SECRET_KEY: `k:${b64}`, MINIO_KMS_MASTER_KEY: `k:${hex}` }, 'more than one static key'],
    [{ MINIO_KMS_SECRET_KEY: 'no-colon' }, 'MINIO_KMS_SECRET_KEY'],
    [{ MINIO_KMS_SECRET_KEY: `k:${Buffer.alloc(16).toString('base64')}` }, 'invalid key length 16'],
    [{ MINIO_KMS_MASTER_KEY: 'k:abcd' }, '64 hex characters'],
    [{ MINIO_KMS_AUTO_ENCRYPTION: 'on' }, 'requires a valid KMS configuration'],
    [{ MINIO_KMS_SECRET_KEY: `k:${b64}`, MINIO_KMS_AUTO_ENCRYPTION: 'maybe' }, 'MINIO_KMS_AUTO_ENCRYPTION'],
    [{ ...kes, MINIO_KMS_KES_API_KEY: API_KEY }, "'MINIO_KMS_KES_API_KEY' and client certificate"],
    [
      { ...kesNoFiles, MINIO_KMS_KES_KEY_PASSWORD: 'pw', MINIO_KMS_KES_API_KEY: API_KEY },
      'MINIO_KMS_KES_KEY_PASSWORD) are present',
    ],
    [{ ...kesNoFiles, MINIO_KMS_KES_CERT_FILE: '/x/c' }, "missing 'MINIO_KMS_KES_KEY_FILE'"],
    [kesNoFiles, "missing authentication method: set 'MINIO_KMS_KES_API_KEY' or 'MINIO_KMS_KES_CERT_FILE'"],
    [{ ...kesNoFiles, MINIO_KMS_KES_API_KEY: 'kes:v1:abc' }, 'MINIO_KMS_KES_API_KEY: invalid API key'],
    [
      { ...kesNoFiles, MINIO_KMS_KES_API_KEY: 'AGaV6VXHasF0FnaB60WdCOeTZ8eTIDikL4zlN16c8NAs' },
      'missing "kes:v1:"',
    ],
    [{ MINIO_KMS_SECRET_KEY_FILE: '/nonexistent/kms-key' }, 'MINIO_KMS_SECRET_KEY_FILE'],
  ])('refuses %j naming the variable', (env, text) => {
    expect(() => loadKmsEnv(env, '/nonexistent-secrets')).toThrow(ConfigError);
    expect(() => loadKmsEnv(env, '/nonexistent-secrets')).toThrow(text);
  });

  it.each([
    ['MINIO_KMS_SECRET_KEY', `my-key:${b64}`],
    ['MINIO_KMS_MASTER_KEY', `my-key:${hex}`],
  ])('reads the static key from %s', (name, value) => {
    const c = loadKmsEnv({ [name]: value });
    expect(c.kms).toEqual({ kind: 'static', keyName: 'my-key', key: key32 });
  });

  it('reads _FILE variants from a path or a Docker secret name', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kms-env-'));
    await writeFile(join(dir, 'kms_master_key'), `my-key:${b64}\n`);
    await writeFile(join(dir, 'legacy'), `old:${hex}\n`);
    expect(loadKmsEnv({ MINIO_KMS_SECRET_KEY_FILE: join(dir, 'kms_master_key') }).kms).toMatchObject({
      keyName: 'my-key',
      key: key32,
    });
    expect(loadKmsEnv({ MINIO_KMS_SECRET_KEY_FILE: 'kms_master_key' }, dir).kms).toMatchObject({
      keyName: 'my-key',
    });
    expect(loadKmsEnv({ MINIO_KMS_MASTER_KEY_FILE: 'legacy' }, dir).kms).toMatchObject({
      keyName: 'old',
      key: key32,
    });
  });

  it('reads a CA directory through the shared reader: certificate files in name order', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kms-ca-'));
    const [a, b] = await Promise.all(
      ['A', 'B'].map((cn) => createCertificate({ subject: { commonName: cn }, isCa: true })),
    );
    await writeFile(join(dir, 'b.cer'), b!.certPem);
    await writeFile(join(dir, 'a.crt'), a!.certPem);
    await writeFile(join(dir, 'notes.txt'), 'ignored');
    const c = loadKmsEnv({ ...kes, MINIO_KMS_KES_CAPATH: dir });
    const caPem = c.kms?.kind === 'kes' ? c.kms.caPem : undefined;
    expect(loadCertificates(caPem ?? '').map((x) => x.subject)).toEqual(['CN=A', 'CN=B']);
  });

  it('refuses a CA path that holds no certificate, naming the variable and the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kms-ca-'));
    await writeFile(join(dir, 'ca.pem'), 'not a certificate');
    expect(() => loadKmsEnv({ ...kes, MINIO_KMS_KES_CAPATH: join(dir, 'ca.pem') })).toThrow(
      new RegExp(`^MINIO_KMS_KES_CAPATH: CA file '${join(dir, 'ca.pem')}'`),
    );
    expect(() => loadKmsEnv({ ...kes, MINIO_KMS_KES_CAPATH: join(dir, 'missing') })).toThrow(ConfigError);
  });
});

describe('expandEllipsis', () => {
  it.each([
    ['https://a:1', ['https://a:1']],
    ['https://kes{1...2}:7373', ['https://kes1:7373', 'https://kes2:7373']],
    ['https://k{08...10}', ['https://k08', 'https://k09', 'https://k10']],
  ])('%s', (p, out) => {
    expect(expandEllipsis(p)).toEqual(out);
  });
});
