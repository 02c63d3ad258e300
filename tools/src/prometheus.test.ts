import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kesConfigToml } from './guide-setup.js';
import { minioMetricsToken, type PrometheusConfigOptions, prometheusConfigYml } from './prometheus.js';

const hasPromtool = spawnSync('promtool', ['--version']).status === 0;
let dir: string;
let opts: PrometheusConfigOptions;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kms-chain-prom-'));
  const file = (name: string) => join(dir, name);
  // promtool checks that the files exist; their content is not read.
  for (const name of ['ca.crt', 'prometheus.crt', 'prometheus.key', 'vault-token', 'minio-token'])
    await writeFile(file(name), 'x');
  opts = {
    vault: '127.0.0.1:8200',
    vaultTokenFile: file('vault-token'),
    kes: ['127.0.0.1:7373', '127.0.0.1:7374'],
    kesCert: file('prometheus.crt'),
    kesKey: file('prometheus.key'),
    caFile: file('ca.crt'),
    minio: { target: '127.0.0.1:9000', tokenFile: file('minio-token') },
  };
});

afterAll(() => rm(dir, { recursive: true, force: true }));

describe('prometheusConfigYml', () => {
  it.each([
    [undefined, '15s', '10s'],
    ['1s', '1s', '1s'],
    ['1m', '1m', '10s'],
  ])(
    'scrape interval %s → interval %s, timeout %s (never above the interval)',
    (given, interval, timeout) => {
      const yml = prometheusConfigYml({ ...opts, ...(given ? { scrapeInterval: given } : {}) });
      expect(yml).toContain(`  scrape_interval: ${interval}\n  scrape_timeout: ${timeout}\n`);
    },
  );

  it('refuses an interval that is not a duration', () => {
    expect(() => prometheusConfigYml({ ...opts, scrapeInterval: 'soon' })).toThrow(/scrapeInterval/);
  });

  it.skipIf(!hasPromtool)('is a config promtool accepts, with both jobs and every KES target', async () => {
    const path = join(dir, 'prometheus.yml');
    await writeFile(path, prometheusConfigYml({ ...opts, scrapeInterval: '1s' }));
    const check = spawnSync('promtool', ['check', 'config', path], { encoding: 'utf8' });
    expect(`${check.stdout}${check.stderr}`).toMatch(/SUCCESS/);
    expect(check.status).toBe(0);
    const yml = prometheusConfigYml(opts);
    expect(yml).toContain('metrics_path: /v1/sys/metrics\n    params:\n      format: [prometheus]');
    expect(yml).toContain('- targets: ["127.0.0.1:7373", "127.0.0.1:7374"]');
    for (const [job, path] of [
      ['minio', 'cluster'],
      ['minio-bucket', 'bucket'],
    ])
      expect(yml).toContain(
        `  - job_name: ${job}\n    scheme: https\n    metrics_path: /minio/v2/metrics/${path}\n` +
          `    authorization:\n      type: Bearer\n      credentials_file: "${join(dir, 'minio-token')}"\n`,
      );
    const { minio: _, ...withoutMinio } = opts;
    expect(prometheusConfigYml(withoutMinio)).not.toContain('minio');
  });
});

describe('minioMetricsToken', () => {
  it('is the JWT mc admin prometheus generate makes: HS512 under the secret key, sub, iss, a 100-year exp', () => {
    const token = minioMetricsToken({ accessKey: 'minio', secretKey: 'minio123' });
    const [head, body, sig] = token.split('.') as [string, string, string];
    expect(JSON.parse(Buffer.from(head, 'base64url').toString())).toEqual({ alg: 'HS512', typ: 'JWT' });
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString());
    expect(claims).toEqual({ exp: expect.any(Number), sub: 'minio', iss: 'prometheus' });
    const years = (claims.exp - Date.now() / 1000) / (365 * 24 * 3600);
    expect(years).toBeGreaterThan(99.9);
    expect(years).toBeLessThanOrEqual(100);
    expect(sig).toBe(createHmac('sha512', 'minio123').update(`${head}.${body}`).digest('base64url'));
  });
});

describe('kesConfigToml monitors', () => {
  const base = {
    address: '127.0.0.1:7373',
    tlsKey: 'k',
    tlsCert: 'c',
    identity: 'a'.repeat(64),
    vaultAddr: 'https://127.0.0.1:8200',
    roleId: 'r',
    secretId: 's',
    vaultCa: 'ca',
  };

  it('gives each monitoring identity a policy of one path', () => {
    const toml = kesConfigToml({ ...base, monitors: { metrics: 'b'.repeat(64), ready: 'c'.repeat(64) } });
    expect(toml).toContain(
      `[policy.prometheus]\npaths = [ "/v1/metrics" ]\nidentities = [ "${'b'.repeat(64)}" ]`,
    );
    expect(toml).toContain(`[policy.health]\npaths = [ "/v1/ready" ]\nidentities = [ "${'c'.repeat(64)}" ]`);
  });

  it('writes no monitoring policy without the identities (the guide file as it was)', () => {
    const toml = kesConfigToml(base);
    expect(toml).not.toContain('[policy.prometheus]');
    expect(toml).not.toContain('[policy.health]');
  });
});
