// `npm start` as a user runs it: the first run sets the chain up (PKI, Vault init/unseal, AppRole,
// KES key) and serves S3 over TLS; Ctrl-C (SIGINT) stops all three servers; a second run reuses
// everything (unseals from the dev-only share file) and still serves the object; SIGTERM stops it.
// Data dir and ports come from KMS_CHAIN_* so the test never touches the repo's .data/ or 9000.
import { spawnSync } from 'node:child_process';
import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freePort,
  isListening,
  killAll,
  type Proc,
  repoRoot,
  s3Client,
  sh,
  startProc,
  tempDir,
} from './chain-support.js';

const hasAws = spawnSync('aws', ['--version'], { encoding: 'utf8' }).status === 0;
let data: string;
let env: Record<string, string>;
let ports: { vault: number; kes: number; minio: number };
const body = Buffer.from(`written through npm start at ${new Date().toISOString()}\n`);

beforeAll(async () => {
  data = await tempDir('kms-chain-start-');
  ports = { vault: await freePort(), kes: await freePort(), minio: await freePort() };
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
  prometheusConfig: string;
}

async function startChain(): Promise<{ proc: Proc; printed: Printed; s3: S3Client }> {
  const proc = startProc('npm', ['start', '--silent'], { cwd: repoRoot, env });
  await proc.waitFor(/kms-chain: ready\. Press Ctrl-C to stop\./, 120_000);
  const out = proc.out();
  const field = (name: string) => new RegExp(`^  ${name} +(\\S+)`, 'm').exec(out)?.[1] ?? '';
  const printed = {
    endpoint: field('S3 endpoint'),
    accessKey: field('Access key'),
    secretKey: field('Secret key'),
    caPath: field('CA bundle'),
    prometheusConfig: field('Prometheus'),
  };
  const s3 = s3Client(
    printed.endpoint,
    printed.accessKey,
    printed.secretKey,
    await readFile(printed.caPath, 'utf8'),
  );
  return { proc, printed, s3 };
}

async function allDown(): Promise<boolean> {
  const up = await Promise.all([ports.vault, ports.kes, ports.minio].map(isListening));
  return up.every((u) => !u);
}

describe('npm start', () => {
  let first: Printed;
  let scrapeToken: string;

  it('first run: sets the chain up, prints endpoint, credentials and an aws command, serves S3 over TLS', async () => {
    const { proc, printed, s3 } = await startChain();
    first = printed;
    const out = proc.out();
    expect(printed.endpoint).toBe(`https://127.0.0.1:${ports.minio}`);
    expect(printed.accessKey).toBe('minio');
    expect(printed.secretKey).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(printed.caPath).toBe(join(data, 'pki', 'ca.crt'));
    expect(out).toContain('vault: initialised (5 shares, threshold 3)');
    expect(out).toContain('vault: kv and approle enabled, policy minio-key-policy and role kes-role written');
    expect(out).toContain('kes: created master key minio-key-1');
    expect(out).toContain(`aws --endpoint-url https://127.0.0.1:${ports.minio} s3 mb s3://demo`);
    expect(out).toContain(`AWS_CA_BUNDLE=${printed.caPath}`);

    const shares = join(data, 'DEV-ONLY-vault-unseal-keys.json');
    expect((await stat(shares)).mode & 0o777).toBe(0o600);
    const shareFile = JSON.parse(await readFile(shares, 'utf8'));
    expect(shareFile.WARNING).toMatch(/^DEV ONLY\./);
    expect(shareFile.unseal_keys_b64).toHaveLength(5);
    for (const f of ['kes/kes-config.toml', 'kes/approle.json', 'minio/credentials.json', 'pki/minio.key'])
      expect((await stat(join(data, f))).mode & 0o777, f).toBe(0o600);

    // The printed scrape config names both servers on this run's ports, the metrics-only token
    // file and the metrics-only KES identity (e2e/test/prometheus.test.ts scrapes with it).
    expect(printed.prometheusConfig).toBe(join(data, 'prometheus', 'prometheus.yml'));
    const yml = await readFile(printed.prometheusConfig, 'utf8');
    expect(yml).toContain(`- targets: ["127.0.0.1:${ports.vault}"]`);
    expect(yml).toContain(`- targets: ["127.0.0.1:${ports.kes}"]`);
    expect(yml).toContain(`credentials_file: "${join(data, 'prometheus', 'vault-token')}"`);
    expect(yml).toContain(`cert_file: "${join(data, 'pki', 'prometheus.crt')}"`);
    for (const f of ['prometheus/prometheus.yml', 'prometheus/vault-token', 'pki/prometheus.key'])
      expect((await stat(join(data, f))).mode & 0o777, f).toBe(0o600);
    scrapeToken = await readFile(join(data, 'prometheus', 'vault-token'), 'utf8');
    expect(scrapeToken).toMatch(/^hvs\./);

    await s3.send(new CreateBucketCommand({ Bucket: 'start' }));
    await s3.send(new PutObjectCommand({ Bucket: 'start', Key: 'hello.txt', Body: body }));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'start', Key: 'hello.txt' }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);
    expect(out).toContain('Encryption    SSE via KES, auto-encryption on');
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'start', Key: 'hello.txt' }));
    expect(head.ServerSideEncryption).toBe('aws:kms');
    expect(head.SSEKMSKeyId).toContain('minio-key-1');
    s3.destroy();

    // The printed copy-paste lines, run as printed (where the aws CLI is installed; CI installs it).
    if (hasAws) {
      const exportLine = /^ {2}(export AWS_ACCESS_KEY_ID=.*)$/m.exec(out)![1]!;
      const awsLine = /^ {2}(aws --endpoint-url .*)$/m.exec(out)![1]!;
      const pasted = sh(data, `${exportLine}\n${awsLine}`, { AWS_CONFIG_FILE: '/dev/null' });
      expect(pasted.stderr).toBe('');
      expect(pasted.status).toBe(0);
      expect(JSON.parse(pasted.stdout.slice(pasted.stdout.indexOf('{'))).ServerSideEncryption).toBe(
        'aws:kms',
      );
    } else {
      console.warn('start.test: the aws CLI is not installed; the printed aws command is not run');
    }

    // The printed vault and kes exports, pasted into a shell that has neither the bins on its PATH
    // nor any VAULT_*/KES_* variable: the CLIs reach the chain over TLS with the printed CA, the
    // root token read from its file (never printed), and minio's KES identity.
    expect(out).not.toContain(shareFile.root_token);
    const operate = out.slice(out.indexOf('Operate it with the vault and kes CLIs'));
    const exports = operate.match(/^ {2}export .*$/gm)!.map((l) => l.trim());
    expect(exports.map((l) => l.split(/[ =]/)[1])).toEqual([
      'PATH',
      'VAULT_ADDR',
      'VAULT_TOKEN',
      'KES_SERVER',
    ]);
    const tryLine = /^ {2}(vault status && .*)$/m.exec(operate)![1]!;
    const clean: Record<string, string> = {
      PATH: (process.env['PATH'] ?? '')
        .split(':')
        .filter((d) => !d.includes('node_modules'))
        .join(':'),
    };
    for (const name of Object.keys(process.env))
      if (/^(VAULT|KES|MINIO_KES|MINIO_KMS)_/.test(name)) clean[name] = '';
    const pasted = sh(data, `${exports.join('\n')}\nset -e\n${tryLine.replaceAll(' && ', '\n')}`, clean);
    expect(pasted.stderr).toBe('');
    expect(pasted.status).toBe(0);
    expect(pasted.stdout).toMatch(/^Sealed +false$/m);
    // `vault kv list kv/minio` (KES's keys in Vault), then `kes key ls` (JSON when piped), then `kes status`.
    expect(pasted.stdout).toMatch(/^minio-key-1$/m);
    expect(pasted.stdout).toContain('["minio-key-1"]');
    expect(pasted.stdout).toMatch(/^\{"version":"[^"]+","os":/m);
    expect(pasted.stdout).not.toContain('keystore_unreachable');

    // Ctrl-C: npm forwards SIGINT to the script (`exec node …`), which stops minio, kes, vault.
    await proc.stop('SIGINT');
    expect(proc.out()).toContain('kms-chain: stopped minio, kes and vault.');
    expect(await allDown()).toBe(true);
  }, 180_000);

  it('second run: reuses the set-up, unseals from the dev-only file, the object reads back; SIGTERM stops it', async () => {
    const { proc, printed, s3 } = await startChain();
    const out = proc.out();
    expect(printed).toEqual(first);
    expect(out).toContain(
      `vault: unsealed with the DEV-ONLY shares in ${join(data, 'DEV-ONLY-vault-unseal-keys.json')}`,
    );
    expect(out).not.toContain('vault: initialised');
    expect(out).not.toContain('kes: created master key');
    // The scrape token is renewed, not replaced: a running Prometheus keeps its credentials file.
    expect(await readFile(join(data, 'prometheus', 'vault-token'), 'utf8')).toBe(scrapeToken);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'start', Key: 'hello.txt' }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);
    s3.destroy();
    await proc.stop('SIGTERM');
    expect(proc.out()).toContain('kms-chain: stopped minio, kes and vault.');
    expect(await allDown()).toBe(true);
  }, 180_000);
});
