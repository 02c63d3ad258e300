// A real Prometheus (Debian's package; .ci/run installs it) scrapes a running chain with the
// prometheus.yml the chain launcher writes for `npm start`: Vault with a token that reads
// sys/metrics only, KES with a client certificate whose identity may read /v1/metrics only. The
// test asks Prometheus's HTTP API whether both targets are up, whether Vault's and KES's metrics
// are there and move when traffic flows, and whether every query of the Grafana dashboard in
// docs/observability/ names metrics the servers export and answers with data.
import { spawnSync } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { type Chain, startChain } from '@kms-chain/tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, killAll, type Proc, repoRoot, startProc, tempDir } from './chain-support.js';

const hasPrometheus = spawnSync('prometheus', ['--version'], { encoding: 'utf8' }).status === 0;
if (!hasPrometheus)
  console.warn('prometheus.test.ts: skipped, `prometheus` is not installed (apt-get install prometheus)');

const dashboardFile = join(repoRoot, 'docs', 'observability', 'kms-chain-dashboard.json');

let dir: string;
let chain: Chain;
let prometheus: Proc;
let promPort: number;

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
  opts: { method?: string; ca: string; cert?: string; key?: string; token?: string; body?: string },
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
            headers: opts.token ? { authorization: `Bearer ${opts.token}` } : {},
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
    chain = await startChain({
      dir,
      credentials: { accessKey: 'minio', secretKey: 'minio123' },
      scrapeInterval: '1s',
    });
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
    await prometheus?.stop('SIGTERM', 5_000);
    await chain?.stop();
    await killAll();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the vault and kes targets are up: the token and the client certificate are accepted', async () => {
    const targets = await until('both targets scraped healthy', 20_000, async () => {
      const data = await api('/api/v1/targets');
      const active = data.activeTargets;
      const byJob = Object.fromEntries(active.map((t) => [t.labels.job, t]));
      if (byJob['vault']?.health === 'up' && byJob['kes']?.health === 'up') return byJob;
      throw new Error(active.map((t) => `${t.labels.job}: ${t.health} ${t.lastError}`).join('; '));
    });
    expect(Object.keys(targets).sort()).toEqual(['kes', 'vault']);
    expect(await query('up')).toEqual({ kes: 1, vault: 1 });
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
    const exported = new Set(['up', ...exportedNames(vaultText.text), ...exportedNames(kesText.text)]);
    expect(exported).toContain('vault_core_unsealed');
    expect(exported).toContain('kes_http_response_time_bucket');

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
      const names = [...bare.matchAll(/\b(up|(?:vault|kes)_[a-zA-Z0-9_]+)\b(?!\s*\()/g)].map((m) => m[1]!);
      expect(names.length, expr).toBeGreaterThan(0);
      for (const name of names) if (!exported.has(name)) missing.push(`${name} (in ${expr})`);
    }
    expect(missing).toEqual([]);
    // Rates over [1m] and [5m] need two samples in range: there are, after the traffic above.
    for (const expr of exprs) {
      const data = await api(`/api/v1/query?query=${encodeURIComponent(expr)}`);
      expect(data.result.length, expr).toBeGreaterThan(0);
    }
  });
});
