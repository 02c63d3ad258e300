// The metrics endpoints (/minio/v2/metrics/{cluster,node,bucket}): MinIO's bearer JWT and nothing
// weaker, the public setting, and S3, usage and KMS figures that follow the traffic a test makes.
import { randomBytes } from 'node:crypto';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { minioMetricsToken } from '@kms-chain/tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPrometheusToken } from '../src/admin/prometheus-token.js';
import { loadEnvConfig } from '../src/config/env.js';
import type { DataKey, Kms, KmsStatus } from '../src/kms/kms.js';
import { KmsError } from '../src/kms/kms.js';
import { StaticKeyKms } from '../src/kms/static-key.js';
import { ACCESS_KEY, collect, SECRET_KEY, startServer, type TestServer } from './helpers.js';
import { send } from './raw-http.js';

const creds = { accessKey: ACCESS_KEY, secretKey: SECRET_KEY };
const token = minioMetricsToken(creds);

/** A static-key KMS that can be switched off, as a KES that went away. */
class SwitchableKms implements Kms {
  down = false;
  readonly inner = new StaticKeyKms('metrics-key', randomBytes(32));
  get defaultKeyId(): string {
    return this.inner.defaultKeyId;
  }
  #gate<T>(call: () => Promise<T>): Promise<T> {
    return this.down ? Promise.reject(new KmsError('unavailable', 'KES is unreachable')) : call();
  }
  generateKey(keyId: string, context: Uint8Array): Promise<DataKey> {
    return this.#gate(() => this.inner.generateKey(keyId, context));
  }
  decrypt(keyId: string, ciphertext: Uint8Array, context: Uint8Array): Promise<Buffer> {
    return this.#gate(() => this.inner.decrypt(keyId, ciphertext, context));
  }
  createKey(keyId: string): Promise<void> {
    return this.#gate(() => this.inner.createKey(keyId));
  }
  describeKey(keyId: string): Promise<void> {
    return this.#gate(() => this.inner.describeKey(keyId));
  }
  listKeys(prefix: string): Promise<string[]> {
    return this.#gate(() => this.inner.listKeys(prefix));
  }
  async status(): Promise<KmsStatus> {
    const s = await this.inner.status();
    return this.down ? { ...s, endpoints: { '127.0.0.1': 'offline' } } : { ...s, uptimeSeconds: 42 };
  }
  close(): void {
    this.inner.close();
  }
}

/** Samples of a text exposition: `name{label="v",…}` (labels sorted, `server` left out) → value. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels = [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)]
      .filter(([, k]) => k !== 'server')
      .map(([, k, v]) => `${k}="${v}"`)
      .sort();
    out.set(labels.length > 0 ? `${m[1]}{${labels.join(',')}}` : m[1]!, Number(m[3]));
  }
  return out;
}

/** A scrape with `bearer` (the test token by default; null: none). */
async function scrape(srv: TestServer, path = 'cluster', bearer: string | null = token) {
  const r = await send(srv.port, {
    method: 'GET',
    path: `/minio/v2/metrics/${path}`,
    unsigned: true,
    headers: bearer === null ? {} : { authorization: `Bearer ${bearer}` },
  });
  return { ...r, samples: samples(r.body) };
}

describe('metrics authentication', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startServer({});
  });
  afterAll(() => srv?.close());

  it('answers the three endpoints to a token as mc admin prometheus generate makes it', async () => {
    for (const path of ['cluster', 'node', 'bucket']) {
      const r = await scrape(srv, path);
      expect(r.status, path).toBe(200);
      expect(r.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    }
    const r = await scrape(srv, 'cluster');
    expect(r.body).toMatch(/^minio_cluster_nodes_online_total\{server="127\.0\.0\.1:\d+"\} 1$/m);
  });

  it('refuses every token that is not one, with MinIO answer: 403 AccessDenied in JSON', async () => {
    const inAnHour = new Date(Date.now() + 3_600_000);
    const bad: Array<[string, string | null]> = [
      ['no token', null],
      ['wrong secret', minioMetricsToken({ ...creds, secretKey: 'not-the-secret' })],
      ['other access key', minioMetricsToken({ ...creds, accessKey: 'someone' })],
      ['other issuer', minioMetricsToken(creds, inAnHour, { iss: 'grafana' })],
      ['expired', minioMetricsToken(creds, new Date(Date.now() - 1000))],
      ['no expiry', minioMetricsToken(creds, inAnHour, { exp: undefined })],
      ['not before the future', minioMetricsToken(creds, inAnHour, { nbf: Date.now() / 1000 + 600 })],
      ['signature cut', token.slice(0, -2)],
      ['two parts', token.split('.').slice(0, 2).join('.')],
      ['alg none', `${Buffer.from('{"alg":"none"}').toString('base64url')}.${token.split('.')[1]}.`],
    ];
    for (const [what, t] of bad) {
      const r = await scrape(srv, 'cluster', t);
      expect(r.status, what).toBe(403);
      expect(r.headers['content-type'], what).toMatch(/^application\/json/);
      expect(JSON.parse(r.body), what).toMatchObject({
        Code: 'AccessDenied',
        Resource: '/minio/v2/metrics/cluster',
      });
      expect(r.body, what).not.toContain('minio_');
    }
    // Basic and SigV4 credentials are no bearer token.
    const signed = await send(srv.port, { method: 'GET', path: '/minio/v2/metrics/node' });
    expect(signed.status).toBe(403);
  });

  it('accepts HS256 and HS384 too, as MinIO; the bearer scheme in any case', async () => {
    const { createHmac } = await import('node:crypto');
    for (const [alg, hash] of [
      ['HS256', 'sha256'],
      ['HS384', 'sha384'],
    ]) {
      const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
      const signed = `${part({ alg, typ: 'JWT' })}.${part({ exp: Date.now() / 1000 + 60, sub: ACCESS_KEY, iss: 'prometheus' })}`;
      const t = `${signed}.${createHmac(hash!, SECRET_KEY).update(signed).digest('base64url')}`;
      expect(isPrometheusToken(t, creds), alg).toBe(true);
    }
    const r = await send(srv.port, {
      method: 'GET',
      path: '/minio/v2/metrics/node',
      unsigned: true,
      headers: { authorization: `bearer ${token}` },
    });
    expect(r.status).toBe(200);
  });

  it('MINIO_PROMETHEUS_AUTH_TYPE=public opens them; any other value than jwt or public is refused', async () => {
    const open = await startServer({ prometheusAuthType: 'public' });
    try {
      expect((await scrape(open, 'cluster', null)).status).toBe(200);
    } finally {
      await open.close();
    }
    expect(loadEnvConfig({}).prometheusAuthType).toBe('jwt');
    expect(loadEnvConfig({ MINIO_PROMETHEUS_AUTH_TYPE: 'Public' }).prometheusAuthType).toBe('public');
    expect(() => loadEnvConfig({ MINIO_PROMETHEUS_AUTH_TYPE: 'pubic' })).toThrow(
      /MINIO_PROMETHEUS_AUTH_TYPE/,
    );
  });
});

describe('metrics follow the traffic', () => {
  let srv: TestServer;
  const kms = new SwitchableKms();
  beforeAll(async () => {
    srv = await startServer({ kms, prometheusAuthType: 'public' });
  });
  afterAll(() => srv?.close());

  it('counts S3 requests by API and outcome, their time to first byte and their bytes', async () => {
    const before = (await scrape(srv)).samples;
    await srv.s3.send(new CreateBucketCommand({ Bucket: 'counted' }));
    const body = randomBytes(100_000);
    for (let i = 0; i < 3; i++)
      await srv.s3.send(new PutObjectCommand({ Bucket: 'counted', Key: `k${i}`, Body: body }));
    await collect((await srv.s3.send(new GetObjectCommand({ Bucket: 'counted', Key: 'k0' }))).Body as never);
    await expect(srv.s3.send(new HeadObjectCommand({ Bucket: 'counted', Key: 'absent' }))).rejects.toThrow();
    // Refused before routing (a bad signature): counted under the API it addresses, as MinIO counts it.
    const forged = await send(srv.port, { method: 'PUT', path: '/counted/forged', secret: 'not-the-secret' });
    expect(forged.status).toBe(403);
    const after = (await scrape(srv)).samples;
    const moved = (name: string) => (after.get(name) ?? 0) - (before.get(name) ?? 0);
    expect(moved('minio_s3_requests_total{api="getobject"}')).toBe(1);
    expect(moved('minio_s3_requests_total{api="headobject"}')).toBe(1);
    expect(moved('minio_s3_requests_4xx_errors_total{api="headobject"}')).toBe(1);
    expect(moved('minio_s3_requests_errors_total{api="headobject"}')).toBe(1);
    expect(moved('minio_s3_requests_4xx_errors_total{api="putobject"}')).toBe(1);
    expect(moved('minio_s3_requests_total{api="putobject"}')).toBe(4);
    expect(after.get('minio_s3_requests_5xx_errors_total{api="putobject"}')).toBe(0);
    // Cumulative buckets up to +Inf, which counts them all.
    expect(after.get('minio_s3_requests_ttfb_seconds_distribution{api="putobject",le="+Inf"}')).toBe(4);
    expect(after.get('minio_s3_requests_ttfb_seconds_distribution{api="putobject",le="10.000"}')).toBe(4);
    expect(after.has('minio_s3_requests_ttfb_seconds_distribution{api="putobject",le="0.050"}')).toBe(true);
    expect(moved('minio_s3_traffic_received_bytes')).toBeGreaterThanOrEqual(3 * body.length);
    expect(moved('minio_s3_traffic_sent_bytes')).toBeGreaterThanOrEqual(body.length);
    // The scrapes themselves are not S3 requests.
    expect([...after.keys()].some((k) => k.includes('api="unknown"') || k.includes('metrics'))).toBe(false);
  });

  it('reports objects and bytes per bucket and in all, following deletes', async () => {
    await srv.s3.send(new CreateBucketCommand({ Bucket: 'usage' }));
    await srv.s3.send(new PutObjectCommand({ Bucket: 'usage', Key: 'a', Body: Buffer.alloc(1000) }));
    await srv.s3.send(new PutObjectCommand({ Bucket: 'usage', Key: 'b', Body: Buffer.alloc(24) }));
    let bucket = (await scrape(srv, 'bucket')).samples;
    expect(bucket.get('minio_bucket_usage_object_total{bucket="usage"}')).toBe(2);
    expect(bucket.get('minio_bucket_usage_total_bytes{bucket="usage"}')).toBe(1024);
    await srv.s3.send(new DeleteObjectCommand({ Bucket: 'usage', Key: 'a' }));
    bucket = (await scrape(srv, 'bucket')).samples;
    expect(bucket.get('minio_bucket_usage_object_total{bucket="usage"}')).toBe(1);
    expect(bucket.get('minio_bucket_usage_total_bytes{bucket="usage"}')).toBe(24);
    const cluster = (await scrape(srv)).samples;
    expect(cluster.get('minio_cluster_bucket_total')).toBeGreaterThanOrEqual(2);
    expect(cluster.get('minio_cluster_usage_object_total')).toBe(
      [...bucket]
        .filter(([k]) => k.startsWith('minio_bucket_usage_object_total'))
        .reduce((n, [, v]) => n + v, 0),
    );
  });

  it('reports at most 100 buckets, the first by name, as MinIO; the totals count them all', async () => {
    const many = await startServer({ prometheusAuthType: 'public' });
    try {
      const names = Array.from({ length: 101 }, (_, i) => `b${String(i).padStart(3, '0')}`);
      for (const Bucket of names) await many.s3.send(new CreateBucketCommand({ Bucket }));
      await many.s3.send(new PutObjectCommand({ Bucket: 'b100', Key: 'k', Body: 'x' }));
      const bucket = (await scrape(many, 'bucket')).samples;
      const listed = [...bucket.keys()].filter((k) => k.startsWith('minio_bucket_usage_object_total'));
      expect(listed).toHaveLength(100);
      expect(bucket.has('minio_bucket_usage_object_total{bucket="b099"}')).toBe(true);
      expect(bucket.has('minio_bucket_usage_object_total{bucket="b100"}')).toBe(false);
      const cluster = (await scrape(many)).samples;
      expect(cluster.get('minio_cluster_bucket_total')).toBe(101);
      expect(cluster.get('minio_cluster_usage_object_total')).toBe(1);
    } finally {
      await many.close();
    }
  });

  it('counts KMS calls by outcome and reports whether the KMS is online', async () => {
    await srv.s3.send(new CreateBucketCommand({ Bucket: 'sealed' }));
    const before = (await scrape(srv)).samples;
    expect(before.get('minio_cluster_kms_online')).toBe(1);
    expect(before.get('minio_cluster_kms_uptime')).toBe(42);
    const put = (key: string, keyId?: string) =>
      srv.s3.send(
        new PutObjectCommand({
          Bucket: 'sealed',
          Key: key,
          Body: 'secret',
          ServerSideEncryption: 'aws:kms',
          ...(keyId ? { SSEKMSKeyId: keyId } : {}),
        }),
      );
    await put('ok');
    await expect(put('refused', 'no-such-key')).rejects.toThrow();
    kms.down = true;
    await expect(put('down')).rejects.toThrow();
    const after = (await scrape(srv)).samples;
    const moved = (name: string) => after.get(name)! - before.get(name)!;
    expect(moved('minio_cluster_kms_request_success')).toBe(1);
    expect(moved('minio_cluster_kms_request_error')).toBe(1);
    expect(moved('minio_cluster_kms_request_failure')).toBe(1);
    // The status answer is kept 10 s, as MinIO's: a fresh server sees the outage at once.
    const fresh = await startServer({ kms, prometheusAuthType: 'public' });
    try {
      const s = (await scrape(fresh)).samples;
      expect(s.get('minio_cluster_kms_online')).toBe(0);
      expect(s.get('minio_cluster_kms_uptime')).toBe(0);
    } finally {
      kms.down = false;
      await fresh.close();
    }
  });

  it('serves process metrics under MinIO names on the cluster and node endpoints', async () => {
    const cluster = (await scrape(srv)).samples;
    expect(cluster.get('minio_node_process_resident_memory_bytes')).toBeGreaterThan(1 << 20);
    expect(cluster.get('minio_node_process_uptime_seconds')).toBeGreaterThan(0);
    expect(cluster.get('minio_node_file_descriptor_open_total')).toBeGreaterThan(0);
    const node = (await scrape(srv, 'node')).samples;
    expect(node.get('minio_process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(node.has('minio_s3_requests_total{api="putobject"}')).toBe(true);
    expect(node.has('minio_cluster_kms_online')).toBe(false);
  });
});
