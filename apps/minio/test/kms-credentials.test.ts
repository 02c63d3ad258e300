// How the object store authenticates to a real `kes server`: a KES API key (MINIO_KMS_KES_API_KEY, a
// self-signed certificate made from it) and a certificate/key file pair that is re-read when it is
// rotated on disk (directory watch, SIGHUP), without a restart.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { apiKeyIdentity, createCertificate, identityOf, newApiKey } from '@kms-chain/tls-identity';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ClientCertFiles } from '../src/kms/client-cert.js';
import { type ConnectOptions, checkKms, createKms } from '../src/kms/connect.js';
import { isKmsError, type Kms } from '../src/kms/kms.js';
import { collect, startServer } from './helpers.js';
import {
  ensureKesBuilt,
  type KesProcess,
  makeSsePki,
  removeDir,
  type SsePki,
  startKes,
} from './sse-helpers.js';

let pki: SsePki;
let kes: KesProcess;
const apiKey = newApiKey();
/** A second client pair signed by the same CA, named in the KES policy. */
let renewed: { certPem: string; keyPem: string };
/** A client pair KES knows nothing of. */
let stranger: { certPem: string; keyPem: string };

beforeAll(async () => {
  ensureKesBuilt();
  pki = await makeSsePki();
  const issuer = { cert: pki.caPem, key: pki.caKeyPem };
  renewed = await createCertificate({ subject: { commonName: 'MinIO renewed' }, clientAuth: true, issuer });
  stranger = await createCertificate({ subject: { commonName: 'MinIO stranger' }, clientAuth: true, issuer });
  kes = await startKes(pki, join(pki.dir, 'keys'), 0, [apiKeyIdentity(apiKey), identityOf(renewed.certPem)]);
}, 120_000);

afterAll(async () => {
  await kes?.stop();
  if (pki) await removeDir(pki.dir);
});

/** What KES says to this client: `allowed` past the policy check (the key need not exist), else the error kind. */
async function access(kms: Kms): Promise<string> {
  try {
    await kms.generateKey('minio-never-created', Buffer.from('{}'));
    return 'allowed';
  } catch (err) {
    if (isKmsError(err)) return err.kind === 'key-not-found' ? 'allowed' : err.kind;
    throw err;
  }
}

describe('MINIO_KMS_KES_API_KEY', () => {
  it('authenticates as the API key identity: SSE-S3 PUT and GET work', async () => {
    const kms = await createKms({
      kind: 'kes',
      endpoints: [kes.url],
      keyName: 'minio-api-key-default',
      auth: { kind: 'api-key', apiKey },
      caPem: pki.caPem,
    });
    await checkKms(kms);
    const server = await startServer({ kms });
    try {
      await server.s3.send(new CreateBucketCommand({ Bucket: 'apikey' }));
      const put = await server.s3.send(
        new PutObjectCommand({
          Bucket: 'apikey',
          Key: 'k',
          Body: 'sealed by an API key',
          ServerSideEncryption: 'AES256',
        }),
      );
      expect(put.ServerSideEncryption).toBe('AES256');
      const got = await server.s3.send(new GetObjectCommand({ Bucket: 'apikey', Key: 'k' }));
      expect((await collect(got.Body as AsyncIterable<Uint8Array>)).toString()).toBe('sealed by an API key');
      expect(got.ServerSideEncryption).toBe('AES256');
    } finally {
      await server.close();
    }
  });

  it('an API key the KES policy does not name is refused (kms:NotAuthorized kind)', async () => {
    const kms = await createKms({
      kind: 'kes',
      endpoints: [kes.url],
      keyName: 'minio-default-key',
      auth: { kind: 'api-key', apiKey: newApiKey() },
      caPem: pki.caPem,
    });
    try {
      expect(await access(kms)).toBe('not-authorized');
    } finally {
      kms.close();
    }
  });
});

describe('KES client certificate renewal', () => {
  async function filesKms(opts: ConnectOptions) {
    const dir = join(pki.dir, `rotate-${Math.random().toString(16).slice(2)}`);
    await mkdir(dir);
    const certFile = join(dir, 'client.crt');
    const keyFile = join(dir, 'client.key');
    await writeFile(certFile, stranger.certPem);
    await writeFile(keyFile, stranger.keyPem, { mode: 0o600 });
    const kms = await createKms(
      {
        kind: 'kes',
        endpoints: [kes.url],
        keyName: 'minio-default-key',
        auth: { kind: 'files', certFile, keyFile },
        caPem: pki.caPem,
      },
      opts,
    );
    return { kms, dir, certFile, keyFile };
  }

  /** Rotates a pair the way cert managers do: new files written aside, then renamed into place. */
  async function rotate(dir: string, pair: { certPem: string; keyPem: string }) {
    await writeFile(join(dir, 'client.key.new'), pair.keyPem, { mode: 0o600 });
    await writeFile(join(dir, 'client.crt.new'), pair.certPem);
    await rename(join(dir, 'client.key.new'), join(dir, 'client.key'));
    await rename(join(dir, 'client.crt.new'), join(dir, 'client.crt'));
  }

  it('a pair rotated on disk is picked up without a restart (directory watch)', async () => {
    const reloads: { changed: boolean; error?: Error }[] = [];
    const { kms, dir } = await filesKms({
      retryDelayMs: 10,
      certWatch: { intervalMs: 0, signals: [], debounceMs: 50, onReload: (r) => reloads.push(r) },
    });
    try {
      expect(await access(kms)).toBe('not-authorized');
      await rotate(dir, renewed);
      await vi.waitFor(() => expect(reloads.some((r) => r.changed)).toBe(true), { timeout: 10_000 });
      expect(await access(kms)).toBe('allowed');
    } finally {
      kms.close();
    }
  });

  it('SIGHUP re-reads the pair; a pair that does not match keeps the current one', async () => {
    const reloads: { changed: boolean; error?: Error }[] = [];
    const { kms, certFile, keyFile } = await filesKms({
      retryDelayMs: 10,
      certWatch: { intervalMs: 0, watchFiles: false, onReload: (r) => reloads.push(r) },
    });
    try {
      expect(await access(kms)).toBe('not-authorized');
      // Half a rotation: the new certificate beside the old key.
      await writeFile(certFile, renewed.certPem);
      process.emit('SIGHUP', 'SIGHUP');
      expect(reloads.at(-1)?.error?.message).toMatch(/does not belong to the certificate/);
      expect(await access(kms)).toBe('not-authorized');
      await writeFile(keyFile, renewed.keyPem);
      process.emit('SIGHUP', 'SIGHUP');
      expect(reloads.at(-1)).toEqual({ changed: true });
      expect(await access(kms)).toBe('allowed');
      process.emit('SIGHUP', 'SIGHUP');
      expect(reloads.at(-1)).toEqual({ changed: false });
    } finally {
      kms.close();
    }
    // Closing the client stops listening for SIGHUP.
    const before = reloads.length;
    process.emit('SIGHUP', 'SIGHUP');
    expect(reloads).toHaveLength(before);
  });

  it('re-reads on the periodic trigger, and decrypts password-protected keys on every read', async () => {
    const dir = join(pki.dir, `periodic-${Math.random().toString(16).slice(2)}`);
    await mkdir(dir);
    const issuer = { cert: pki.caPem, key: pki.caKeyPem };
    const first = await createCertificate({
      subject: { commonName: 'a' },
      clientAuth: true,
      issuer,
      encryptKeyWith: 'pw',
    });
    const second = await createCertificate({
      subject: { commonName: 'b' },
      clientAuth: true,
      issuer,
      encryptKeyWith: 'pw',
    });
    const certFile = join(dir, 'c.crt');
    const keyFile = join(dir, 'c.key');
    await writeFile(certFile, first.certPem);
    await writeFile(keyFile, first.keyPem, { mode: 0o600 });
    expect(first.keyPem).toContain('ENCRYPTED PRIVATE KEY');
    const files = new ClientCertFiles({ kind: 'files', certFile, keyFile, keyPassword: 'pw' }, pki.caPem);
    const initial = files.tls;
    const renewed: unknown[] = [];
    const stop = files.watch((t) => renewed.push(t), { intervalMs: 20, watchFiles: false, signals: [] });
    try {
      await writeFile(keyFile, second.keyPem);
      await writeFile(certFile, second.certPem);
      await vi.waitFor(() => expect(renewed).toHaveLength(1), { timeout: 10_000 });
      expect(renewed[0]).not.toBe(initial);
      expect(files.tls).toBe(renewed[0]);
    } finally {
      stop();
    }
    expect(
      () => new ClientCertFiles({ kind: 'files', certFile, keyFile, keyPassword: 'wrong' }, pki.caPem),
    ).toThrow(expect.objectContaining({ code: 'key/wrong-password' }));
  });

  it('an unreadable file at startup names its variable', async () => {
    await expect(
      createKms({
        kind: 'kes',
        endpoints: [kes.url],
        keyName: 'k',
        auth: { kind: 'files', certFile: join(pki.dir, 'absent.crt'), keyFile: pki.clientKey },
      }),
    ).rejects.toThrow(/^MINIO_KMS_KES_CERT_FILE: cannot read ".*absent\.crt": ENOENT$/);
  });
});
