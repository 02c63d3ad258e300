// `npm start -- --ha` as a user runs it: a 3-member etcd cluster, three Vault nodes on it
// (initialised through the first, unsealed on each), KES listing all three and the object store.
// It prints the three nodes with their role; an SSE-S3 PUT/GET works through it; every node's
// sys/leader names the first as the active one; Vault's data is in etcd, not on a file storage.
// SIGTERM stops everything, etcd included; a second run reuses the cluster (same etcd ports, from
// its data dir), unseals each node from the dev-only file and reads the object back.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { etcdBinary, httpsJson } from '@kms-chain/tools';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freePort,
  freePortRange,
  isListening,
  killAll,
  type Proc,
  repoRoot,
  s3Client,
  startProc,
  tempDir,
} from './chain-support.js';

const hasEtcd = etcdBinary() !== undefined;
if (!hasEtcd) console.warn('start-ha.test: etcd is not installed (Debian etcd-server); skipped');

let data: string;
let env: Record<string, string>;
let ports: { vault: number; kes: number; minio: number };
const body = Buffer.from(`written through npm start -- --ha at ${new Date().toISOString()}\n`);

beforeAll(async () => {
  data = await tempDir('kms-chain-start-ha-');
  // Vault nodes on vault, vault+2, vault+4 (cluster ports one above each).
  ports = { vault: await freePortRange(6), kes: await freePort(), minio: await freePort() };
  env = {
    KMS_CHAIN_DATA_DIR: data,
    KMS_CHAIN_VAULT_PORT: String(ports.vault),
    KMS_CHAIN_KES_PORT: String(ports.kes),
    KMS_CHAIN_MINIO_PORT: String(ports.minio),
  };
});

afterAll(async () => {
  await killAll();
  await rm(data, { recursive: true, force: true });
});

interface Printed {
  endpoint: string;
  accessKey: string;
  secretKey: string;
  caPath: string;
  /** [url, role] of each Vault node, in order. */
  nodes: [string, string][];
  etcd: string[];
}

async function startHa(): Promise<{ proc: Proc; printed: Printed; s3: S3Client; ca: string }> {
  const proc = startProc('npm', ['start', '--silent', '--', '--ha'], { cwd: repoRoot, env });
  await proc.waitFor(/kms-chain: ready\. Press Ctrl-C to stop\./, 150_000);
  const out = proc.out();
  const field = (name: string) => new RegExp(`^  ${name} +(\\S+)`, 'm').exec(out)?.[1] ?? '';
  const printed: Printed = {
    endpoint: field('S3 endpoint'),
    accessKey: field('Access key'),
    secretKey: field('Secret key'),
    caPath: field('CA bundle'),
    nodes: [...out.matchAll(/^ {2}Vault node \d +(\S+) +\((active|standby)/gm)].map(
      (m) => [m[1]!, m[2]!] as [string, string],
    ),
    etcd: field('etcd').split(','),
  };
  const ca = await readFile(printed.caPath, 'utf8');
  return { proc, printed, s3: s3Client(printed.endpoint, printed.accessKey, printed.secretKey, ca), ca };
}

const nodePorts = () => [0, 2, 4].map((d) => ports.vault + d);

async function allDown(etcd: string[]): Promise<boolean> {
  const all = [...nodePorts(), ports.kes, ports.minio, ...etcd.map((u) => Number(new URL(u).port))];
  const up = await Promise.all(all.map(isListening));
  return up.every((u) => !u);
}

describe.skipIf(!hasEtcd)('npm start -- --ha', () => {
  let first: Printed;

  it('first run: 3 etcd members, 3 Vault nodes (one active), KES on all three; SSE-S3 PUT/GET; sys/leader on each', async () => {
    const { proc, printed, s3, ca } = await startHa();
    first = printed;
    const out = proc.out();
    expect(printed.endpoint).toBe(`https://127.0.0.1:${ports.minio}`);
    expect(printed.caPath).toBe(join(data, 'ha', 'pki', 'ca.crt'));
    const urls = nodePorts().map((p) => `https://127.0.0.1:${p}`);
    expect(printed.nodes).toEqual([
      [urls[0], 'active'],
      [urls[1], 'standby'],
      [urls[2], 'standby'],
    ]);
    expect(printed.etcd).toHaveLength(3);
    for (const u of printed.etcd) expect(u).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(out).toContain('vault: initialised (5 shares, threshold 3)');
    expect(out).toContain('kes: created master key minio-key-1');

    // KES lists every node; the nodes keep nothing on a file storage of their own.
    const kesConfig = await readFile(join(data, 'ha', 'kes', 'kes-config.toml'), 'utf8');
    expect(kesConfig).toContain(`address = "${urls.join(',')}"`);
    expect(existsSync(join(data, 'ha', 'vault', 'file'))).toBe(false);
    const client = new Etcd3({ hosts: printed.etcd });
    try {
      expect(await client.get('/vault/core/keyring').buffer()).not.toBeNull();
    } finally {
      client.close();
    }

    for (const [i, url] of urls.entries()) {
      const leader = await httpsJson(`${url}/v1/sys/leader`, { ca });
      expect(leader.status, url).toBe(200);
      expect(leader.body).toMatchObject({ ha_enabled: true, is_self: i === 0, leader_address: urls[0] });
      const health = await httpsJson(`${url}/v1/sys/health`, { ca });
      expect([health.status, health.body.standby], url).toEqual(i === 0 ? [200, false] : [429, true]);
    }

    try {
      await s3.send(new CreateBucketCommand({ Bucket: 'start-ha' }));
      await s3.send(new PutObjectCommand({ Bucket: 'start-ha', Key: 'hello.txt', Body: body }));
      const got = await s3.send(new GetObjectCommand({ Bucket: 'start-ha', Key: 'hello.txt' }));
      expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);
      const head = await s3.send(new HeadObjectCommand({ Bucket: 'start-ha', Key: 'hello.txt' }));
      expect(head.ServerSideEncryption).toBe('aws:kms');
      expect(head.SSEKMSKeyId).toContain('minio-key-1');
    } finally {
      s3.destroy();
    }

    await proc.stop('SIGTERM');
    expect(proc.out()).toContain('kms-chain: stopped minio, kes, vault and etcd.');
    expect(await allDown(printed.etcd)).toBe(true);
  }, 200_000);

  it('second run: the same etcd cluster and nodes, unsealed from the dev-only file; the object reads back', async () => {
    const { proc, printed, s3 } = await startHa();
    const out = proc.out();
    expect(printed).toEqual(first);
    expect(out).toContain(
      `vault: unsealed with the DEV-ONLY shares in ${join(data, 'ha', 'DEV-ONLY-vault-unseal-keys.json')}`,
    );
    expect(out).not.toContain('vault: initialised');
    try {
      const got = await s3.send(new GetObjectCommand({ Bucket: 'start-ha', Key: 'hello.txt' }));
      expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);
    } finally {
      s3.destroy();
    }
    await proc.stop('SIGTERM');
    expect(await allDown(printed.etcd)).toBe(true);
  }, 200_000);

  it('an unknown argument is a usage error (exit 2)', () => {
    const r = spawnSync('npm', ['start', '--silent', '--', '--nope'], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('npm start: unknown argument --nope');
  });
});
