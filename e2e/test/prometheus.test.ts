// A real Prometheus (Debian's package; .ci/run installs it) scrapes a running chain with the
// prometheus.yml the chain launcher writes for `npm start`: Vault with a token that reads
// sys/metrics only, KES with a client certificate whose identity may read /v1/metrics only, the
// object store with the JWT `mc admin prometheus generate` would make. The test asks Prometheus's
// HTTP API whether every target is up, whether the metrics of the three are there and move when
// traffic flows, and whether every query of the Grafana dashboard in docs/observability/ names
// metrics the servers export and answers with data.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type Chain, signHeaders, startChain } from '@kms-chain/tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, killAll, type Proc, repoRoot, s3Client, startProc, tempDir } from './chain-support.js';

const hasPrometheus = spawnSync('prometheus', ['--version'], { encoding: 'utf8' }).status === 0;
if (!hasPrometheus)
  console.warn('prometheus.test.ts: skipped, `prometheus` is not installed (apt-get install prometheus)');

const dashboardFile = join(repoRoot, 'docs', 'observability', 'kms-chain-dashboard.json');

let dir: string;
let chain: Chain;
let prometheus: Proc;
let promPort: number;
let s3: S3Client;
const credentials = { accessKey: 'minio', secretKey: 'minio123' };

/** The parts of Prometheus's API answers the test reads. */
interface ApiData {
  activeTargets: Array<{ labels: { job: string }; health: string; lastError: string }>;
  result: Array<{ metric: Record<string, string>; value: [number, string] }>;
}

/** GET on Prometheus's HTTP API; rejects unless it answers `status: success`. */
function api(path: string): Promise<ApiData> {
  return new Promise((resolve, reject) => {
    request(`http://127.0.0.1:${promPort}${path}`, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        try {
          const body = JSON.parse(text);
          if (body.status !== 'success') reject(new Error(`${path}: ${text}`));
          else resolve(body.data);
        } catch {
          // Not JSON: e.g. 503 "Service Unavailable" while the TSDB is still opening.
          reject(new Error(`${path}: HTTP ${res.statusCode}: ${text.slice(0, 200)}`));
        }
      });
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

/** An instant query's samples as {job → value}. */
async function query(promql: string): Promise<Record<string, number>> {
  const data = await api(`/api/v1/query?query=${encodeURIComponent(promql)}`);
  const out: Record<string, number> = {};
  for (const r of data.result) out[r.metric.job ?? ''] = Number(r.value[1]);
  return out;
}

/** The one value of an instant query (summed), undefined while it has no sample. */
async function scalar(promql: string): Promise<number | undefined> {
  const data = await api(`/api/v1/query?query=${encodeURIComponent(`sum(${promql})`)}`);
  return data.result.length > 0 ? Number(data.result[0]!.value[1]) : undefined;
}

/** Polls `check` every 250 ms until it returns a value, or fails with its last reason. */
async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (${last})` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** One HTTPS GET/POST with the given TLS material; resolves with status and body text. */
function https(
  url: string,
  opts: {
    method?: string;
    ca: string;
    cert?: string;
    key?: string;
    token?: string;
    body?: string;
    headers?: Record<string, string>;
  },
): Promise<{ status: number; text: string }> {
  return import('node:https').then(
    ({ request: req }) =>
      new Promise((resolve, reject) => {
        const r = req(
          url,
          {
            method: opts.method ?? 'GET',
            ca: opts.ca,
            cert: opts.cert,
            key: opts.key,
            headers: opts.headers ?? (opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () =>
              resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }),
            );
          },
        );
        r.on('error', reject);
        r.end(opts.body);
      }),
  );
}

/** Metric names in Prometheus text exposition (each sample line's name). */
function exportedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line);
    if (m) names.add(m[1]!);
  }
  return names;
}

describe.skipIf(!hasPrometheus)('prometheus scrapes the chain with the generated prometheus.yml', () => {
  beforeAll(async () => {
    dir = await tempDir('kms-chain-prometheus-');
    chain = await startChain({ dir, credentials, scrapeInterval: '1s' });
    s3 = s3Client(chain.urls.minio, credentials.accessKey, credentials.secretKey, chain.ca);
    promPort = await freePort();
    prometheus = startProc(
      'prometheus',
      [
        `--config.file=${chain.files.prometheusConfig}`,
        `--storage.tsdb.path=${join(dir, 'tsdb')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
      ],
      { cwd: dir },
    );
    await prometheus.waitForPort(promPort, 30_000);
    // Listening comes before ready (the TSDB opens): the API answers 503 until then.
    await until('prometheus ready', 30_000, async () =>
      (await api('/api/v1/status/runtimeinfo')) ? true : undefined,
    );
  }, 120_000);

  afterAll(async () => {
    s3?.destroy();
    await prometheus?.stop('SIGTERM', 5_000);
    await chain?.stop();
    await killAll();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the vault, kes and minio targets are up: the tokens and the client certificate are accepted', async () => {
    const jobs = ['kes', 'minio', 'minio-bucket', 'vault'];
    const targets = await until('every target scraped healthy', 20_000, async () => {
      const data = await api('/api/v1/targets');
      const active = data.activeTargets;
      const byJob = Object.fromEntries(active.map((t) => [t.labels.job, t]));
      if (jobs.every((job) => byJob[job]?.health === 'up')) return byJob;
      throw new Error(active.map((t) => `${t.labels.job}: ${t.health} ${t.lastError}`).join('; '));
    });
    expect(Object.keys(targets).sort()).toEqual(jobs);
    expect(await query('up')).toEqual({ kes: 1, minio: 1, 'minio-bucket': 1, vault: 1 });
    expect(await query('minio_cluster_kms_online')).toEqual({ minio: 1 });
    expect(await query('vault_core_unsealed')).toEqual({ vault: 1 });
    expect(await query('vault_core_active')).toEqual({ vault: 1 });
  });

  it('the scrape credentials read metrics and nothing else', async () => {
    const ca = chain.ca;
    const token = (await readFile(chain.files.vaultMetricsToken, 'utf8')).trim();
    const vault = (p: string) => https(`${chain.urls.vault}${p}`, { ca, token });
    expect((await vault('/v1/sys/metrics?format=prometheus')).status).toBe(200);
    expect((await vault('/v1/sys/policies/acl')).status).toBe(403);
    expect((await vault('/v1/kv/minio/minio-key-1')).status).toBe(403);
    expect((await vault('/v1/auth/token/lookup-self')).status).toBe(403);

    const asClient = (name: string, p: string, method = 'GET') => {
      const c = chain.pki.clients[name]!;
      return https(`${chain.urls.kes}${p}`, { method, ca, cert: c.certPem, key: c.keyPem });
    };
    expect((await asClient('prometheus', '/v1/metrics')).status).toBe(200);
    expect((await asClient('prometheus', '/v1/ready')).status).toBe(403);
    expect((await asClient('prometheus', '/v1/key/generate/minio-key-1', 'POST')).status).toBe(403);
    expect((await asClient('prometheus', '/v1/status')).status).toBe(403);
    // The health checker's identity: /v1/ready only.
    expect((await asClient('health', '/v1/ready')).status).toBe(200);
    expect((await asClient('health', '/v1/metrics')).status).toBe(403);
    expect((await asClient('health', '/v1/key/generate/minio-key-1', 'POST')).status).toBe(403);

    // The object store's token: a bearer token is no S3 or admin credential.
    const minioToken = (await readFile(join(chain.dir, 'prometheus', 'minio-token'), 'utf8')).trim();
    const minio = (p: string, token?: string) =>
      https(`${chain.urls.minio}${p}`, { ca, ...(token ? { token } : {}) });
    for (const p of ['/minio/v2/metrics/cluster', '/minio/v2/metrics/node', '/minio/v2/metrics/bucket'])
      expect((await minio(p, minioToken)).status, p).toBe(200);
    expect((await minio('/minio/v2/metrics/cluster')).status).toBe(403);
    expect((await minio('/minio/v2/metrics/cluster', token)).status).toBe(403);
    // S3 and the admin API refuse a bearer token as an unknown signature (400, as MinIO) or deny it.
    for (const p of ['/', '/minio/kms/v1/key/list?pattern=', '/minio/admin/v3/kms/key/status']) {
      const r = await minio(p, minioToken);
      expect([400, 403], `${p}: ${r.status} ${r.text}`).toContain(r.status);
    }
  });

  it('mc admin kms key list: the object store lists the keys of KES', async () => {
    const host = new URL(chain.urls.minio).host;
    const list = async (pattern: string) => {
      const path = '/minio/kms/v1/key/list';
      const query = `pattern=${encodeURIComponent(pattern).replace(/\*/g, '%2A')}`;
      const headers = signHeaders(host, credentials, { method: 'GET', path, query });
      const r = await https(`${chain.urls.minio}${path}?${query}`, { ca: chain.ca, headers });
      expect(r.status, r.text).toBe(200);
      return (JSON.parse(r.text) as Array<{ name: string }>).map((k) => k.name);
    };
    expect(await list('*')).toContain('minio-key-1');
    expect(await list('minio-key-*')).toContain('minio-key-1');
    expect(await list('no-such-')).toEqual([]);
  });

  it('the S3 and KMS metrics of the object store move with traffic', async () => {
    const counters = async () => {
      const puts = await scalar('minio_s3_requests_total{job="minio",api="putobject"}');
      const gets = await scalar('minio_s3_requests_total{job="minio",api="getobject"}');
      const misses = await scalar('minio_s3_requests_4xx_errors_total{job="minio",api="getobject"}');
      const kms = await scalar('minio_cluster_kms_request_success{job="minio"}');
      const received = await scalar('minio_s3_traffic_received_bytes{job="minio"}');
      const objects = await scalar('minio_bucket_usage_object_total{job="minio-bucket",bucket="metered"}');
      return { puts: puts ?? 0, gets: gets ?? 0, misses: misses ?? 0, kms, received, objects: objects ?? 0 };
    };
    const start = await until('the first KMS samples', 10_000, async () => {
      const c = await counters();
      return c.kms !== undefined && c.received !== undefined ? c : undefined;
    });
    await s3.send(new CreateBucketCommand({ Bucket: 'metered' }));
    const n = 10;
    const body = randomBytes(64 * 1024);
    for (let i = 0; i < n; i++) {
      // SSE-S3: one KES generate per PUT, one decrypt per GET.
      await s3.send(
        new PutObjectCommand({ Bucket: 'metered', Key: `o${i}`, Body: body, ServerSideEncryption: 'AES256' }),
      );
      const got = await s3.send(new GetObjectCommand({ Bucket: 'metered', Key: `o${i}` }));
      expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);
    }
    await expect(s3.send(new GetObjectCommand({ Bucket: 'metered', Key: 'absent' }))).rejects.toThrow();
    const moved = await until('the S3 and KMS counters up by the traffic', 15_000, async () => {
      const now = await counters();
      const ok =
        now.puts - start.puts >= n &&
        now.gets - start.gets >= n + 1 &&
        now.misses - start.misses >= 1 &&
        now.kms! - start.kms! >= 2 * n &&
        now.received! - start.received! >= n * body.length &&
        now.objects === n;
      if (ok) return now;
      throw new Error(`${JSON.stringify(start)} → ${JSON.stringify(now)}`);
    });
    expect(moved.objects).toBe(n);
    expect(await scalar('minio_cluster_kms_request_failure{job="minio"}')).toBe(0);
  });

  it('vault_core_handle_request_count and kes_http_request_success move with traffic', async () => {
    const before = async () => {
      const v = await query('vault_core_handle_request_count');
      const k = await query('kes_http_request_success');
      if (v['vault'] === undefined || k['kes'] === undefined) return undefined;
      return { vault: v['vault'], kes: k['kes'] };
    };
    const start = await until('first samples of both counters', 10_000, before);
    // Each scrape is itself a request (at most ~10 in the window below): 50 calls stand out.
    const n = 50;
    const root = { ca: chain.ca, token: chain.rootToken };
    const put = await https(`${chain.urls.vault}/v1/kv/probe/metrics`, {
      ...root,
      method: 'PUT',
      body: JSON.stringify({ value: 'x' }),
    });
    expect(put.status).toBe(204);
    for (let i = 0; i < n; i++) {
      expect((await https(`${chain.urls.vault}/v1/kv/probe/metrics`, root)).status).toBe(200);
      const gen = await https(`${chain.urls.kes}/v1/key/generate/minio-key-1`, {
        method: 'POST',
        ...chain.minioTls,
        body: '{}',
      });
      expect(gen.status).toBe(200);
    }
    const moved = await until('both counters up by the traffic', 10_000, async () => {
      const now = await before();
      if (now && now.vault - start.vault >= n && now.kes - start.kes >= n) return now;
      throw new Error(`vault ${start.vault} → ${now?.vault}, kes ${start.kes} → ${now?.kes}`);
    });
    expect(moved.vault - start.vault).toBeGreaterThanOrEqual(n);
    expect(moved.kes - start.kes).toBeGreaterThanOrEqual(n);
  });

  it('every dashboard query names metrics the servers export and answers with data', async () => {
    const token = (await readFile(chain.files.vaultMetricsToken, 'utf8')).trim();
    const metrics = chain.pki.clients['prometheus']!;
    const vaultText = await https(`${chain.urls.vault}/v1/sys/metrics?format=prometheus`, {
      ca: chain.ca,
      token,
    });
    const kesText = await https(`${chain.urls.kes}/v1/metrics`, {
      ca: chain.ca,
      cert: metrics.certPem,
      key: metrics.keyPem,
    });
    const minioToken = (await readFile(join(chain.dir, 'prometheus', 'minio-token'), 'utf8')).trim();
    const minioText = await https(`${chain.urls.minio}/minio/v2/metrics/cluster`, {
      ca: chain.ca,
      token: minioToken,
    });
    const exported = new Set([
      'up',
      ...exportedNames(vaultText.text),
      ...exportedNames(kesText.text),
      ...exportedNames(minioText.text),
    ]);
    expect(exported).toContain('vault_core_unsealed');
    expect(exported).toContain('kes_http_response_time_bucket');
    expect(exported).toContain('minio_s3_requests_total');

    const dashboard: { panels: Array<{ targets?: Array<{ expr: string }> }> } = JSON.parse(
      await readFile(dashboardFile, 'utf8'),
    );
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
    expect(exprs.length).toBeGreaterThan(10);
    const missing: string[] = [];
    for (const expr of exprs) {
      // Metric names: identifiers outside label matchers, ranges and strings, not followed by `(`.
      const bare = expr
        .replace(/"[^"]*"/g, '')
        .replace(/\{[^}]*\}/g, ' ')
        .replace(/\[[^\]]*\]/g, ' ');
      const names = [...bare.matchAll(/\b(up|(?:vault|kes|minio)_[a-zA-Z0-9_]+)\b(?!\s*\()/g)].map(
        (m) => m[1]!,
      );
      expect(names.length, expr).toBeGreaterThan(0);
      for (const name of names) if (!exported.has(name)) missing.push(`${name} (in ${expr})`);
    }
    expect(missing).toEqual([]);
    // Rates over [1m] and [5m] need two samples in range: there are after the traffic above, unless
    // a loaded machine made a scrape miss its 1 s timeout; the next scrapes then bring them.
    for (const expr of exprs)
      await until(`${expr} answers with data`, 30_000, async () => {
        const data = await api(`/api/v1/query?query=${encodeURIComponent(expr)}`);
        return data.result.length > 0 ? true : undefined;
      });
  });
});
