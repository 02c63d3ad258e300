// The chain as a whole, seen from outside: every listener speaks TLS 1.2 or later, and the secrets
// that pass through the chain (S3 secret key, SSE-C keys, Vault's root token, unseal shares, the
// AppRole secret ID, object and KV plaintext) reach neither a server's output nor a data directory
// in the clear. The per-service attacks are in security-{vault,vault-acl,kes,minio}.test.ts; the
// promises and their tests are listed in docs/security.md.
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { httpsJson, readShareFile } from '@kms-chain/tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Chain, startChain } from './chain.js';
import { killAll } from './chain-support.js';

let chain: Chain;

beforeAll(async () => {
  chain = await startChain();
}, 120_000);

afterAll(async () => {
  chain?.s3.destroy();
  await killAll();
  if (chain) await rm(chain.dir, { recursive: true, force: true });
});

/** The protocol a TLS client that offers only versions up to `maxVersion` ends up with, or 'refused'. */
function handshake(port: number, maxVersion: tls.SecureVersion, withClientCert = false): Promise<string> {
  const client = chain.pki.clients['minio']!;
  return new Promise((resolve) => {
    const s = tls.connect({
      host: '127.0.0.1',
      port,
      minVersion: 'TLSv1',
      maxVersion,
      // Level 0 lets OpenSSL offer the old versions at all; the server must be the one to refuse.
      ciphers: 'DEFAULT@SECLEVEL=0',
      ca: chain.pki.ca.certPem,
      servername: 'localhost',
      ...(withClientCert ? { cert: client.certPem, key: client.keyPem } : {}),
    });
    s.once('secureConnect', () => {
      resolve(s.getProtocol() ?? 'unknown');
      s.destroy();
    });
    s.once('error', () => resolve('refused'));
  });
}

/** Every regular file below `dir`, with its bytes. */
async function filesUnder(dir: string): Promise<{ path: string; bytes: Buffer }[]> {
  const out: { path: string; bytes: Buffer }[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const path = join(e.parentPath, e.name);
    out.push({ path, bytes: await readFile(path) });
  }
  return out;
}

describe('the chain from outside', () => {
  it('a client that offers a TLS version up to 1.1 is refused by vault, kes and minio; TLS 1.2 works', async () => {
    const listeners = [
      { name: 'vault', port: chain.vaultPort, cert: false },
      { name: 'kes', port: chain.kesPorts[0]!, cert: true },
      { name: 'minio', port: chain.minioPort, cert: false },
    ];
    for (const l of listeners) {
      expect(`${l.name}: ${await handshake(l.port, 'TLSv1.1', l.cert)}`).toBe(`${l.name}: refused`);
      expect(`${l.name}: ${await handshake(l.port, 'TLSv1', l.cert)}`).toBe(`${l.name}: refused`);
      expect(`${l.name}: ${await handshake(l.port, 'TLSv1.2', l.cert)}`).toBe(`${l.name}: TLSv1.2`);
    }
    // The same client does speak TLS 1.1 to a server that allows it, so the refusals above are
    // the servers' doing.
    const server = chain.pki.server;
    const old = tls.createServer(
      { cert: server.certPem, key: server.keyPem, minVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' },
      (s) => s.end(),
    );
    await new Promise<void>((r) => old.listen(0, '127.0.0.1', r));
    try {
      expect(await handshake((old.address() as { port: number }).port, 'TLSv1.1')).toBe('TLSv1.1');
    } finally {
      old.close();
    }
  });

  it('no secret and no plaintext reaches a server log or a data directory in the clear', async () => {
    const { s3 } = chain;
    const marker = `plaintext-${randomBytes(8).toString('hex')}`;
    const body = Buffer.from(marker.repeat(2000));
    const ssecKey = randomBytes(32);
    const ssec = {
      SSECustomerAlgorithm: 'AES256',
      SSECustomerKey: ssecKey.toString('base64'),
      SSECustomerKeyMD5: createHash('md5').update(ssecKey).digest('base64'),
    };
    await s3.send(new CreateBucketCommand({ Bucket: 'secrets' }));
    await s3.send(
      new PutObjectCommand({ Bucket: 'secrets', Key: 's3', Body: body, ServerSideEncryption: 'AES256' }),
    );
    await s3.send(
      new PutObjectCommand({
        Bucket: 'secrets',
        Key: 'kms',
        Body: body,
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: 'minio-key-1',
      }),
    );
    await s3.send(new PutObjectCommand({ Bucket: 'secrets', Key: 'c', Body: body, ...ssec }));
    for (const Key of ['s3', 'kms']) {
      const got = await s3.send(new GetObjectCommand({ Bucket: 'secrets', Key }));
      expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);
    }
    // A wrong customer key fails; its error must not carry either key.
    const wrongKey = randomBytes(32);
    await expect(
      s3.send(
        new GetObjectCommand({
          Bucket: 'secrets',
          Key: 'c',
          SSECustomerAlgorithm: 'AES256',
          SSECustomerKey: wrongKey.toString('base64'),
          SSECustomerKeyMD5: createHash('md5').update(wrongKey).digest('base64'),
        }),
      ),
    ).rejects.toMatchObject({ name: 'AccessDenied' });

    // Vault: a KV secret through the root token, and a login with a wrong secret ID.
    const shares = await readShareFile(chain.files.shareFile);
    const rootToken = shares!.root_token;
    const vault = `https://127.0.0.1:${chain.vaultPort}/v1`;
    const ca = chain.pki.ca.certPem;
    const kvSecret = `kv-${randomBytes(12).toString('hex')}`;
    const wrongSecretId = `sid-${randomBytes(12).toString('hex')}`;
    const kesToml = await readFile(chain.files.kesConfigs[0]!, 'utf8');
    const secretId = /secret\s*=\s*"([^"]+)"/.exec(kesToml)![1]!;
    const roleId = /id\s*=\s*"([^"]+)"/.exec(kesToml)![1]!;
    const write = await httpsJson(`${vault}/kv/app/db`, {
      method: 'POST',
      ca,
      token: rootToken,
      body: { password: kvSecret },
    });
    expect(write.status).toBe(204);
    const login = await httpsJson(`${vault}/auth/approle/login`, {
      method: 'POST',
      ca,
      body: { role_id: roleId, secret_id: wrongSecretId },
    });
    expect(login.status).toBe(400);
    expect(JSON.stringify(login.body)).not.toContain(wrongSecretId);

    const secrets: Record<string, string[]> = {
      'S3 secret key': ['minio123'],
      'SSE-C key': [ssecKey.toString('base64'), ssecKey.toString('hex'), wrongKey.toString('base64')],
      'Vault root token': [rootToken],
      'unseal share': shares!.unseal_keys_b64,
      'AppRole secret ID': [secretId, wrongSecretId],
      'KV secret': [kvSecret],
      'object plaintext': [marker],
    };
    const outputs = [
      { path: 'vault output', bytes: Buffer.from(chain.vault.out()) },
      { path: 'kes output', bytes: Buffer.from(chain.kes[0]!.out()) },
      { path: 'minio output', bytes: Buffer.from(chain.minio.out()) },
    ];
    const stored = [
      ...(await filesUnder(chain.files.vaultData)),
      ...(await filesUnder(chain.files.minioData)),
    ];
    expect(stored.length).toBeGreaterThan(10);
    const found: string[] = [];
    for (const { path, bytes } of [...outputs, ...stored]) {
      for (const [what, values] of Object.entries(secrets)) {
        if (values.some((v) => bytes.includes(v))) found.push(`${what} in ${path}`);
      }
    }
    expect(found).toEqual([]);
  });
});
