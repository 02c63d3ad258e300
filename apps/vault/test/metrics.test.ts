// sys/metrics as Vault serves it (docs/vault.md#metrics): behind a token with read on the path, or
// open on a listener with unauthenticated_metrics_access; Prometheus text only when the telemetry
// stanza enables it; Vault's metric names, moving with traffic.
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { parseConfigObject } from '../src/config.js';
import { closeAfterEach, type Harness, harness, initAndUnseal, serveOnLoopback } from './helpers.js';

let h: Harness | undefined;
closeAfterEach(() => h);

const PROMETHEUS = {
  prometheusRetentionTime: 86400,
  disableHostname: true,
  enableHostnameLabel: false,
  metricsPrefix: 'vault',
};

/** The value of an unlabelled (or fully given) sample line in Prometheus text. */
function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('sys/metrics', () => {
  it('without a telemetry stanza: the JSON summary, and 400 "prometheus is not enabled"', async () => {
    h = await harness({ inmem: true });
    const { root } = await initAndUnseal(h);
    await h.call('GET', 'sys/mounts', undefined, root);
    const json = await h.call('GET', 'sys/metrics', undefined, root);
    expect(json.status).toBe(200);
    expect(json.headers['content-type']).toBe('application/json');
    // Gauges carry the host name unless disable_hostname is set.
    const gauges = json.body.Gauges as Array<{ Name: string; Value: number }>;
    expect(gauges).toContainEqual({ Name: `vault.${hostname()}.core.unsealed`, Value: 1, Labels: {} });
    expect(json.body.Timestamp).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000 UTC$/);
    const samples = json.body.Samples as Array<{ Name: string; Count: number; Min: number; Max: number }>;
    const handle = samples.find((s) => s.Name === 'vault.core.handle_request');
    expect(handle?.Count).toBeGreaterThan(0);
    expect(handle!.Max).toBeGreaterThanOrEqual(handle!.Min);
    const prom = await h.call('GET', 'sys/metrics?format=prometheus', undefined, root);
    expect(prom.status).toBe(400);
    expect(prom.headers['content-type']).toBe('text/plain');
    expect(prom.raw).toBe('prometheus is not enabled');
    const other = await h.call('GET', 'sys/metrics?format=xml', undefined, root);
    expect([other.status, other.raw]).toEqual([400, 'metric response format "xml" unknown']);
  });

  it('needs a token allowed to read sys/metrics', async () => {
    h = await harness({ inmem: true, telemetry: PROMETHEUS });
    const { root } = await initAndUnseal(h);
    expect((await h.call('GET', 'sys/metrics?format=prometheus')).status).toBe(403);
    await h.call(
      'PUT',
      'sys/policies/acl/metrics',
      { policy: 'path "sys/metrics" { capabilities = ["read"] }' },
      root,
    );
    const make = async (policies: string[]) =>
      (await h!.call('POST', 'auth/token/create', { policies }, root)).body.auth.client_token as string;
    const plain = await make(['default']);
    expect((await h.call('GET', 'sys/metrics?format=prometheus', undefined, plain)).status).toBe(403);
    const reader = await make(['metrics']);
    const ok = await h.call('GET', 'sys/metrics?format=prometheus', undefined, reader);
    expect(ok.status).toBe(200);
    expect(ok.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it("Prometheus text under Vault's names that move with traffic", async () => {
    h = await harness({ inmem: true, telemetry: PROMETHEUS });
    const { root } = await initAndUnseal(h);
    const scrape = async () => (await h!.call('GET', 'sys/metrics?format=prometheus', undefined, root)).raw;
    const before = await scrape();
    expect(value(before, 'vault_core_unsealed')).toBe(1);
    expect(value(before, 'vault_core_active')).toBe(1);
    expect(value(before, 'vault_token_count')).toBe(1);
    await h.call('POST', 'sys/mounts/kv', { type: 'kv' }, root);
    for (let i = 0; i < 5; i++) await h.call('PUT', `kv/k${i}`, { v: i }, root);
    await h.call('POST', 'auth/token/create', { policies: ['default'] }, root);
    const after = await scrape();
    expect(value(after, 'vault_token_count')).toBe(2);
    for (const op of ['get', 'put', 'list']) {
      const n = value(after, `vault_barrier_${op}_count`) ?? 0;
      expect(n, op).toBeGreaterThan(value(before, `vault_barrier_${op}_count`) ?? 0);
    }
    expect(value(after, 'vault_core_handle_request_count')).toBeGreaterThan(
      value(before, 'vault_core_handle_request_count') ?? 0,
    );
    expect(after).toMatch(/^vault_core_handle_request\{quantile="0\.99"\} \d/m);
    await h.core.seal();
    // Sealed, the scrape itself is refused (503); the gauge reads 0 through the open listener below.
    expect((await h.call('GET', 'sys/metrics?format=prometheus', undefined, root)).status).toBe(503);
  });

  it('answers without a token on a listener with unauthenticated_metrics_access, Accept header included', async () => {
    h = await harness({ inmem: true, telemetry: PROMETHEUS });
    await initAndUnseal(h);
    const open = await serveOnLoopback({ core: h.core, unauthenticatedMetricsAccess: true });
    const closed = await serveOnLoopback({ core: h.core });
    const url = (l: { address: { port: number } }) => `http://127.0.0.1:${l.address.port}/v1/sys/metrics`;
    const res = await fetch(url(open), {
      headers: { accept: 'application/openmetrics-text; version=1.0.0' },
    });
    expect(res.status).toBe(200);
    expect(value(await res.text(), 'vault_core_unsealed')).toBe(1);
    expect((await fetch(`${url(closed)}?format=prometheus`)).status).toBe(403);
    expect((await fetch(url(open), { method: 'PUT' })).status).toBe(405);
    await h.core.seal();
    const sealed = await fetch(`${url(open)}?format=prometheus`);
    expect(value(await sealed.text(), 'vault_core_unsealed')).toBe(0);
  });

  it('reads the telemetry stanza and the listener option from the config', () => {
    const c = parseConfigObject(
      {
        storage: { inmem: {} },
        listener: {
          tcp: {
            address: '127.0.0.1:8200',
            tls_disable: true,
            telemetry: { unauthenticated_metrics_access: true },
          },
        },
        telemetry: { disable_hostname: true },
      },
      'vault.json',
    );
    expect(c.telemetry).toEqual({ ...PROMETHEUS, prometheusRetentionTime: 24 * 3600 });
    expect(c.listeners[0]!.unauthenticatedMetricsAccess).toBe(true);
    const none = parseConfigObject(
      { storage: { inmem: {} }, listener: { tcp: { tls_disable: true } } },
      'v.json',
    );
    expect(none.telemetry.prometheusRetentionTime).toBe(0);
    expect(none.listeners[0]!.unauthenticatedMetricsAccess).toBe(false);
    const off = parseConfigObject(
      {
        storage: { inmem: {} },
        listener: { tcp: { tls_disable: true } },
        telemetry: { prometheus_retention_time: '0s' },
      },
      'v.json',
    );
    expect(off.telemetry.prometheusRetentionTime).toBe(0);
  });
});
