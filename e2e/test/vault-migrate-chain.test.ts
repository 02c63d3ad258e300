// The guide's chain moved from Vault's file storage to etcd (docs/vault.md#storage-migration):
// objects written with SSE through the object store before the move still decrypt after it, with
// KES restarted so that its cache is empty and every key comes from the Vault that now runs on
// etcd; a new key can be made there too. Nothing is re-initialised: the same shares unseal it.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import {
  createKesKey,
  type EtcdCluster,
  etcdBinary,
  initAndUnseal,
  type Proc,
  startEtcd,
  startProc,
  waitForHttps,
} from '@kms-chain/tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Chain, startChain } from './chain.js';
import { binDir, sh } from './chain-support.js';

const hasEtcd = etcdBinary() !== undefined;
if (!hasEtcd) console.warn('vault-migrate-chain.test: etcd is not installed (Debian etcd-server); skipped');

describe.skipIf(!hasEtcd)('the chain moved from file storage to etcd', { timeout: 180_000 }, () => {
  let etcd: EtcdCluster;
  let chain: Chain;
  let vaultOnEtcd: Proc | undefined;
  const objects = new Map<string, Buffer>();

  beforeAll(async () => {
    etcd = await startEtcd(1);
    chain = await startChain({ autoEncryption: true });
    await chain.s3.send(new CreateBucketCommand({ Bucket: 'moved' }));
    for (let i = 0; i < 5; i++) {
      const body = randomBytes(64 * 1024 + i);
      await chain.s3.send(new PutObjectCommand({ Bucket: 'moved', Key: `o${i}`, Body: body }));
      objects.set(`o${i}`, body);
    }
  }, 150_000);

  afterAll(async () => {
    await vaultOnEtcd?.stop('SIGTERM', 10_000);
    await chain?.stop();
    await etcd?.stop();
  });

  it('migrates offline, unseals with the same shares, and serves every object and a new key', async () => {
    const head = await chain.s3.send(new HeadObjectCommand({ Bucket: 'moved', Key: 'o0' }));
    expect(head.ServerSideEncryption).toBe('aws:kms');
    await chain.vault!.stop('SIGTERM', 10_000);

    const etcdBlock = `"etcd" {\n  address = "${etcd.address}"\n  path    = "/moved-vault/"\n}`;
    await writeFile(
      join(chain.dir, 'migrate.hcl'),
      `storage_source "file" {\n  path = "${chain.files.vaultData}"\n}\nstorage_destination ${etcdBlock}\n`,
    );
    const moved = sh(
      chain.dir,
      `"${join(binDir, 'vault')}" operator migrate -config migrate.hcl -log-level=warn`,
    );
    expect([moved.status, moved.stdout], moved.stderr).toEqual([
      0,
      'Success! All of the keys have been migrated.\n',
    ]);

    // The same listener and TLS as the chain's Vault, now on etcd.
    const config = join(chain.dir, 'vault', 'vault-etcd.hcl');
    const [, port] = /:(\d+)$/.exec(chain.urls.vault)!;
    await writeFile(
      config,
      `storage ${etcdBlock}
listener "tcp" {
  address       = "127.0.0.1:${port}"
  tls_cert_file = "${chain.pki.server.certPath}"
  tls_key_file  = "${chain.pki.server.keyPath}"
}
api_addr      = "${chain.urls.vault}"
disable_mlock = true
`,
    );
    vaultOnEtcd = startProc(join(binDir, 'vault'), ['server', '-config', config], {
      cwd: chain.dir,
      keep: 65_536,
    });
    await waitForHttps(`${chain.urls.vault}/v1/sys/health`, {
      tls: { ca: chain.ca },
      isDead: () => !vaultOnEtcd!.isRunning(),
    });
    expect(vaultOnEtcd.out()).toContain('Storage: etcd');
    await initAndUnseal(chain.urls.vault, chain.ca, chain.files.shareFile);

    // KES starts again with an empty cache: every key now comes from the Vault on etcd.
    await chain.killAndRestart('kes');
    for (const [key, body] of objects) {
      const got = await chain.s3.send(new GetObjectCommand({ Bucket: 'moved', Key: key }));
      expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body), key).toBe(true);
    }
    await expect(createKesKey(chain.urls.kes, chain.minioTls, 'minio-key-on-etcd')).resolves.toBe(true);
  });
});
