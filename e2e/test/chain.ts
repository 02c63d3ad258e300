// A chain of our three bins for the fault drills: dev PKI, vault (file storage, TLS), the guide's
// set-up over Vault's HTTP API (the same scripts/lib code `npm start` uses), one or more kes
// servers sharing the AppRole, and a minio pointed at all of them over mTLS. Every server can be
// stopped, killed and started again on its own ports and data.
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { createDevPki, type DevPki } from '@kms-chain/tls-identity';
import {
  configureVaultForKes,
  initAndUnseal,
  type KesConfigOptions,
  kesConfigToml,
} from '../../scripts/lib/guide-setup.mjs';
import { binDir, freePort, type Proc, s3Client, startProc, tempDir } from './chain-support.js';

export interface ChainOptions {
  /** How many KES servers minio lists in MINIO_KMS_KES_ENDPOINT (default 1). */
  kesCount?: number;
  cache?: KesConfigOptions['cache'];
  ping?: string;
  /** MINIO_KMS_AUTO_ENCRYPTION (default off, so plaintext objects can be written too). */
  autoEncryption?: boolean;
}

export interface Chain {
  dir: string;
  pki: DevPki;
  vaultPort: number;
  kesPorts: number[];
  minioPort: number;
  vault: Proc;
  kes: Proc[];
  minio: Proc;
  s3: S3Client;
  startVault(): Promise<void>;
  /** Unseals a (restarted) Vault from the shares kept in the chain's dir. */
  unseal(): Promise<void>;
  startKes(i: number): Promise<void>;
  startMinio(): Promise<void>;
}

export async function startChain(opts: ChainOptions = {}): Promise<Chain> {
  const dir = await tempDir('kms-chain-');
  const pki = await createDevPki(join(dir, 'pki'), { clients: ['minio'] });
  const ca = pki.ca.certPem;
  const vaultPort = await freePort();
  const kesPorts: number[] = [];
  for (let i = 0; i < (opts.kesCount ?? 1); i++) kesPorts.push(await freePort());
  const minioPort = await freePort();
  const vaultAddr = `https://127.0.0.1:${vaultPort}`;
  const shareFile = join(dir, 'DEV-ONLY-vault-unseal-keys.json');
  await writeFile(
    join(dir, 'vault-config.json'),
    JSON.stringify({
      backend: { file: { path: join(dir, 'vault-file') } },
      disable_mlock: true,
      listener: {
        tcp: {
          address: `127.0.0.1:${vaultPort}`,
          tls_cert_file: pki.server.certPath,
          tls_key_file: pki.server.keyPath,
        },
      },
    }),
  );

  const chain = {
    dir,
    pki,
    vaultPort,
    kesPorts,
    minioPort,
    kes: [] as Proc[],
    s3: s3Client(`https://127.0.0.1:${minioPort}`, 'minio', 'minio123', ca),
    async startVault() {
      chain.vault = startProc(join(binDir, 'vault'), ['server', '-config', join(dir, 'vault-config.json')], {
        cwd: dir,
      });
      await chain.vault.waitFor(/==> Vault server started!/);
    },
    async unseal() {
      await initAndUnseal(vaultAddr, ca, shareFile);
    },
    async startKes(i: number) {
      chain.kes[i] = startProc(
        join(binDir, 'kes'),
        ['server', `--config=${join(dir, `kes-${i}.toml`)}`, '--root=disabled', '--mtls-auth=verify'],
        { cwd: dir },
      );
      await chain.kes[i]!.waitFor(/Endpoint/);
    },
    async startMinio() {
      chain.minio = startProc(
        join(binDir, 'minio'),
        [
          'server',
          join(dir, 'export'),
          '--address',
          `127.0.0.1:${minioPort}`,
          '--certs-dir',
          join(dir, 'certs'),
        ],
        {
          cwd: dir,
          env: {
            MINIO_ROOT_USER: 'minio',
            MINIO_ROOT_PASSWORD: 'minio123',
            MINIO_KMS_KES_ENDPOINT: kesPorts.map((p) => `https://127.0.0.1:${p}`).join(','),
            MINIO_KMS_KES_KEY_FILE: pki.clients['minio']!.keyPath,
            MINIO_KMS_KES_CERT_FILE: pki.clients['minio']!.certPath,
            MINIO_KMS_KES_KEY_NAME: 'minio-key-1',
            MINIO_KMS_KES_CAPATH: pki.ca.certPath,
            MINIO_KMS_AUTO_ENCRYPTION: opts.autoEncryption ? 'on' : 'off',
          },
        },
      );
      await chain.minio.waitFor(/API: https:/);
    },
  } as Chain;

  await chain.startVault();
  const { rootToken } = await initAndUnseal(vaultAddr, ca, shareFile);
  const approle = await configureVaultForKes(vaultAddr, ca, rootToken);
  for (const [i, port] of kesPorts.entries()) {
    await writeFile(
      join(dir, `kes-${i}.toml`),
      kesConfigToml({
        address: `127.0.0.1:${port}`,
        tlsKey: pki.server.keyPath,
        tlsCert: pki.server.certPath,
        tlsCa: pki.ca.certPath,
        identity: pki.clients['minio']!.identity,
        vaultAddr,
        roleId: approle.roleId,
        secretId: approle.secretId,
        vaultCa: pki.ca.certPath,
        ...(opts.cache ? { cache: opts.cache } : {}),
        ...(opts.ping ? { ping: opts.ping } : {}),
      }),
      { mode: 0o600 },
    );
    await chain.startKes(i);
  }
  await mkdir(join(dir, 'certs'), { recursive: true });
  await copyFile(pki.server.certPath, join(dir, 'certs', 'public.crt'));
  await copyFile(pki.server.keyPath, join(dir, 'certs', 'private.key'));
  // minio creates minio-key-1 through KES at its first start (its startup KMS check).
  await chain.startMinio();
  return chain;
}
