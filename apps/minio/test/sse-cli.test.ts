// The built `minio` bin with a KMS: startup against a real KES (creating the default key), refusal to
// start when KES is unreachable or the KMS variables conflict, auto-encryption as in the guide's
// Appendix A, and `minio kms status` / `minio kms key status|create` for a person.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { apiKeyIdentity, createCertificate, newApiKey } from '@kms-chain/tls-identity';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ACCESS_KEY, collect, SECRET_KEY, sdkClient } from './helpers.js';
import {
  ensureKesBuilt,
  type KesProcess,
  makeSsePki,
  removeDir,
  type SsePki,
  startKes,
} from './sse-helpers.js';

const appDir = join(import.meta.dirname, '..');
const bin = join(appDir, 'bin', 'minio.js');
const built =
  existsSync(join(appDir, 'dist', 'cli', 'kms.js')) && existsSync(join(appDir, 'dist', 'kms', 'connect.js'));

/** An API key the KES policy names, for MINIO_KMS_KES_API_KEY. */
const apiKey = newApiKey();

describe.skipIf(!built)('minio bin with a KMS', () => {
  let pki: SsePki;
  let kes: KesProcess;
  let env: Record<string, string>;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    ensureKesBuilt();
    pki = await makeSsePki();
    kes = await startKes(pki, join(pki.dir, 'keys'), 0, [apiKeyIdentity(apiKey)]);
    env = {
      PATH: process.env.PATH ?? '',
      HOME: pki.dir,
      MINIO_ROOT_USER: ACCESS_KEY,
      MINIO_ROOT_PASSWORD: SECRET_KEY,
      MINIO_KMS_KES_ENDPOINT: kes.url,
      MINIO_KMS_KES_KEY_NAME: 'minio-guide-key',
      MINIO_KMS_KES_CERT_FILE: pki.clientCert,
      MINIO_KMS_KES_KEY_FILE: pki.clientKey,
      MINIO_KMS_KES_CAPATH: pki.caFile,
    };
  }, 120_000);

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await kes?.stop();
    if (pki) await removeDir(pki.dir);
  });

  function run(args: string[], extra: Record<string, string> = {}) {
    return spawnSync(process.execPath, [bin, ...args], {
      encoding: 'utf8',
      timeout: 20_000,
      env: { ...env, ...extra },
    });
  }

  /** Starts `minio server` on a fresh data dir with `childEnv`; resolves to its port, child and dir. */
  async function startBin(childEnv: Record<string, string>) {
    const data = await mkdtemp(join(tmpdir(), 'minio-kms-bin-'));
    const child = spawn(process.execPath, [bin, 'server', '--address', '127.0.0.1:0', data], {
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr!.on('data', (c: Buffer) => {
      out += c.toString();
    });
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout!.on('data', () => {
        const m = /API: http:\/\/[^:]+:(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', (code) => reject(new Error(`minio exited ${code}: ${out}`)));
    });
    return { port, child, data, output: () => out };
  }

  it('re-reads a rotated KES client certificate without a restart, and survives SIGHUP', async () => {
    const dir = await mkdtemp(join(pki.dir, 'rotate-'));
    const certFile = join(dir, 'client.crt');
    const keyFile = join(dir, 'client.key');
    await copyFile(pki.clientCert, certFile);
    await copyFile(pki.clientKey, keyFile);
    // A certificate of the same CA that the KES policy does not name: once it is in use, KES says 403.
    const stranger = await createCertificate({
      subject: { commonName: 'not in the policy' },
      clientAuth: true,
      issuer: { cert: pki.caPem, key: pki.caKeyPem },
    });
    const rotate = async (certPem: string, keyPem: string) => {
      await writeFile(join(dir, 'next.key'), keyPem, { mode: 0o600 });
      await writeFile(join(dir, 'next.crt'), certPem);
      await rename(join(dir, 'next.key'), keyFile);
      await rename(join(dir, 'next.crt'), certFile);
    };
    const reloads = (text: string) => text.split('reloaded the KES client certificate').length - 1;
    const { port, child, data, output } = await startBin({
      ...env,
      MINIO_KMS_KES_CERT_FILE: certFile,
      MINIO_KMS_KES_KEY_FILE: keyFile,
    });
    const s3 = sdkClient(`http://127.0.0.1:${port}`);
    const put = (key: string) =>
      s3.send(
        new PutObjectCommand({ Bucket: 'rotate', Key: key, Body: 'x', ServerSideEncryption: 'AES256' }),
      );
    try {
      await s3.send(new CreateBucketCommand({ Bucket: 'rotate' }));
      await put('before');
      await rotate(stranger.certPem, stranger.keyPem);
      await vi.waitFor(() => expect(reloads(output())).toBe(1), { timeout: 10_000 });
      await expect(put('stranger')).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
      await rotate(await readFile(pki.clientCert, 'utf8'), await readFile(pki.clientKey, 'utf8'));
      await vi.waitFor(() => expect(reloads(output())).toBe(2), { timeout: 10_000 });
      await put('after');
      // SIGHUP re-reads (unchanged files: nothing to swap) and does not end the process.
      child.kill('SIGHUP');
      await put('after-sighup');
      expect(child.exitCode).toBeNull();
      expect(reloads(output())).toBe(2);
    } finally {
      s3.destroy();
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      await removeDir(data);
    }
  });

  it('authenticates to KES with MINIO_KMS_KES_API_KEY instead of certificate files', async () => {
    const { MINIO_KMS_KES_CERT_FILE: _c, MINIO_KMS_KES_KEY_FILE: _k, ...rest } = env;
    const { port, child, data } = await startBin({ ...rest, MINIO_KMS_KES_API_KEY: apiKey });
    try {
      const s3 = sdkClient(`http://127.0.0.1:${port}`);
      await s3.send(new CreateBucketCommand({ Bucket: 'apikey' }));
      const put = await s3.send(
        new PutObjectCommand({ Bucket: 'apikey', Key: 'a', Body: 'api key', ServerSideEncryption: 'AES256' }),
      );
      expect(put.ServerSideEncryption).toBe('AES256');
      const got = await s3.send(new GetObjectCommand({ Bucket: 'apikey', Key: 'a' }));
      expect((await collect(got.Body as AsyncIterable<Uint8Array>)).toString()).toBe('api key');
      s3.destroy();
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      await removeDir(data);
    }
  });

  it('starts with auto-encryption, and the kms subcommand reports status and tests keys', async () => {
    const { port, child, data } = await startBin({ ...env, MINIO_KMS_AUTO_ENCRYPTION: 'on' });
    try {
      const endpoint = `http://127.0.0.1:${port}`;
      const s3 = sdkClient(endpoint);
      await s3.send(new CreateBucketCommand({ Bucket: 'guide' }));
      await s3.send(new PutObjectCommand({ Bucket: 'guide', Key: 'a.txt', Body: 'appendix A' }));
      const head = await s3.send(new HeadObjectCommand({ Bucket: 'guide', Key: 'a.txt' }));
      expect(head.ServerSideEncryption).toBe('aws:kms');
      expect(head.SSEKMSKeyId).toBe('arn:aws:kms:minio-guide-key');
      s3.destroy();

      const status = run(['kms', 'status', '--endpoint', endpoint]);
      expect(status.stdout).toContain('KMS: MinIO KES');
      expect(status.stdout).toContain('Default key: minio-guide-key');
      expect(status.stdout).toContain(`${kes.url}  ✔ online`);
      expect(status.status).toBe(0);
      const key = run(['kms', 'key', 'status', '--endpoint', endpoint]);
      expect(key.stdout).toBe('Key: minio-guide-key\n   - Encryption ✔\n   - Decryption ✔\n');
      expect(run(['kms', 'key', 'create', '--endpoint', endpoint, 'minio-made']).status).toBe(0);
      const missing = run(['kms', 'key', 'status', '--endpoint', endpoint, 'minio-absent']);
      expect(missing.status).toBe(1);
      expect(missing.stdout).toContain('Encryption ✗ (key does not exist)');
      const wrongCreds = run(['kms', 'status', '--endpoint', endpoint], {
        MINIO_ROOT_PASSWORD: 'not-the-secret',
      });
      expect(wrongCreds.status).toBe(1);
      expect(run(['kms', 'bogus']).status).toBe(1);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      await removeDir(data);
    }
  });

  it.each([
    [{ MINIO_KMS_KES_ENDPOINT: 'https://127.0.0.1:1' }, 'Failed to connect to KMS'],
    [{ MINIO_KMS_SECRET_KEY: `k:${Buffer.alloc(32).toString('base64')}` }, 'MinIO KES and static KMS key'],
    [{ MINIO_KMS_KES_KEY_NAME: '' }, "missing 'MINIO_KMS_KES_KEY_NAME'"],
    [{ MINIO_KMS_KES_API_KEY: apiKey }, "'MINIO_KMS_KES_API_KEY' and client certificate"],
    [
      { MINIO_KMS_KES_API_KEY: newApiKey(), MINIO_KMS_KES_CERT_FILE: '', MINIO_KMS_KES_KEY_FILE: '' },
      'Failed to connect to KMS: not authorized',
    ],
  ])('refuses to start with %j', async (extra, text) => {
    const data = await mkdtemp(join(tmpdir(), 'minio-kms-bad-'));
    try {
      const r = run(['server', '--address', '127.0.0.1:0', data], extra);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(text);
    } finally {
      await removeDir(data);
    }
  });
});
