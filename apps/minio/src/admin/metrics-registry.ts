// The object store's Prometheus metrics under MinIO's v2 names (docs/observability.md#the-object-stores-metrics),
// as three prom-client registries, one per endpoint as MinIO groups them:
//   cluster  S3 requests and traffic, KMS, cluster usage and nodes, process (minio_node_process_*)
//   node     S3 requests and traffic, nodes, process (minio_process_*, MinIO's process collector)
//   bucket   usage per bucket (MinIO moved it off the cluster endpoint in 2023)
// Every value is read when Prometheus asks; every sample carries MinIO's `server` label.
import { Counter, Gauge, type Registry as PromRegistry, Registry } from 'prom-client';
import type { KmsStatus } from '../kms/kms.js';
import type { KmsRequestCounts } from '../kms/metered.js';
import { processStats } from './process-stats.js';
import { type S3Stats, TTFB_BUCKETS } from './s3-stats.js';

/** One bucket's usage. */
export interface BucketUsage {
  bucket: string;
  objects: number;
  bytes: number;
}

/** Where the figures come from. */
export interface MetricsSources {
  s3: S3Stats;
  /** The KMS, counted (kms/metered.ts); absent without one: no KMS metrics then, as MinIO. */
  kms?: { readonly counts: KmsRequestCounts; status(): Promise<KmsStatus> } | undefined;
  /** Objects and bytes per bucket, from the store's in-memory indexes. */
  usage(): Promise<BucketUsage[]>;
  /** How long a KMS status answer serves scrapes, in ms (default 10 000, MinIO's cache interval). */
  kmsStatusMs?: number;
}

/** The three registries; set the `server` label with {@link MinioMetrics.setServer} before reading. */
export interface MinioMetrics {
  cluster: PromRegistry;
  node: PromRegistry;
  bucket: PromRegistry;
  setServer(name: string): void;
}

/** `fn`'s answer, shared by concurrent callers and kept `ttlMs` (0: only shared while in flight). */
function cached<T>(fn: () => Promise<T>, ttlMs: number): () => Promise<T> {
  let kept: { value: T; at: number } | undefined;
  let inFlight: Promise<T> | undefined;
  return () => {
    if (kept && performance.now() - kept.at < ttlMs) return Promise.resolve(kept.value);
    inFlight ??= fn().then(
      (value) => {
        kept = { value, at: performance.now() };
        inFlight = undefined;
        return value;
      },
      (err: unknown) => {
        inFlight = undefined;
        throw err;
      },
    );
    return inFlight;
  };
}

/** Buckets the bucket endpoint reports, as MinIO's v2 limit. */
const MAX_BUCKETS = 100;

/** MinIO formats `le` with three decimals (`0.050`, `10.000`, `+Inf`). */
const LE = [...TTFB_BUCKETS.map((b) => b.toFixed(3)), '+Inf'];

/** Builds the registries over `src`. */
export function createMetrics(src: MetricsSources): MinioMetrics {
  const cluster = new Registry();
  const node = new Registry();
  const bucket = new Registry();
  const both = [cluster, node];

  // S3 API requests: per API, its name in lower case as MinIO's v2 endpoints print it.
  const perApi = (
    name: string,
    help: string,
    value: (c: ReturnType<S3Stats['apis']>) => Map<string, number>,
  ) =>
    new Counter({
      name,
      help,
      labelNames: ['api'],
      registers: both,
      collect() {
        this.reset();
        for (const [api, n] of value(src.s3.apis())) this.inc({ api: api.toLowerCase() }, n);
      },
    });
  const pick =
    (key: 'total' | 'errors' | 'errors4xx' | 'errors5xx' | 'canceled') =>
    (apis: ReturnType<S3Stats['apis']>) =>
      new Map([...apis].map(([api, c]) => [api, c[key]] as const));
  perApi('minio_s3_requests_total', 'Total number of S3 requests', pick('total'));
  perApi(
    'minio_s3_requests_errors_total',
    'Total number of S3 requests with (4xx and 5xx) errors',
    pick('errors'),
  );
  perApi(
    'minio_s3_requests_4xx_errors_total',
    'Total number of S3 requests with (4xx) errors',
    pick('errors4xx'),
  );
  perApi(
    'minio_s3_requests_5xx_errors_total',
    'Total number of S3 requests with (5xx) errors',
    pick('errors5xx'),
  );
  perApi(
    'minio_s3_requests_canceled_total',
    'Total number of S3 requests that were canceled by the client',
    pick('canceled'),
  );
  new Gauge({
    name: 'minio_s3_requests_inflight_total',
    help: 'Total number of S3 requests currently in flight',
    labelNames: ['api'],
    registers: both,
    collect() {
      this.reset();
      for (const [api, n] of src.s3.inflight()) this.set({ api: api.toLowerCase() }, n);
    },
  });
  // A gauge of cumulative counts with `le`, as MinIO exports it (not a Prometheus histogram).
  new Gauge({
    name: 'minio_s3_requests_ttfb_seconds_distribution',
    help: 'Distribution of time to first byte across API calls',
    labelNames: ['api', 'le'],
    registers: both,
    collect() {
      this.reset();
      for (const [api, c] of src.s3.apis()) {
        let sum = 0;
        for (let i = 0; i < LE.length; i++) {
          sum += i < c.ttfb.length ? c.ttfb[i]! : c.ttfbOver;
          this.set({ api: api.toLowerCase(), le: LE[i]! }, sum);
        }
      }
    },
  });
  new Counter({
    name: 'minio_s3_traffic_received_bytes',
    help: 'Total number of s3 bytes received',
    registers: both,
    collect() {
      this.reset();
      this.inc(src.s3.received);
    },
  });
  new Counter({
    name: 'minio_s3_traffic_sent_bytes',
    help: 'Total number of s3 bytes sent',
    registers: both,
    collect() {
      this.reset();
      this.inc(src.s3.sent);
    },
  });

  // One node: always online, as MinIO's node health reports itself.
  new Gauge({
    name: 'minio_cluster_nodes_online_total',
    help: 'Total number of MinIO nodes online',
    registers: both,
  }).set(1);
  new Gauge({
    name: 'minio_cluster_nodes_offline_total',
    help: 'Total number of MinIO nodes offline',
    registers: both,
  }).set(0);

  if (src.kms) kmsMetrics(cluster, src.kms, src.kmsStatusMs ?? 10_000);
  usageMetrics(cluster, bucket, cached(src.usage, 0));
  processMetrics(cluster, node);

  return {
    cluster,
    node,
    bucket,
    setServer(name) {
      for (const r of [cluster, node, bucket]) r.setDefaultLabels({ server: name });
    },
  };
}

function kmsMetrics(cluster: PromRegistry, kms: NonNullable<MetricsSources['kms']>, statusMs: number): void {
  const status = cached(
    () =>
      kms.status().then(
        (s) => {
          const online = Object.values(s.endpoints).includes('online');
          return { online, uptime: online ? s.uptimeSeconds : undefined };
        },
        () => ({ online: false, uptime: undefined }),
      ),
    statusMs,
  );
  const registers = [cluster];
  new Gauge({
    name: 'minio_cluster_kms_online',
    help: 'Reports whether the KMS is online (1) or offline (0)',
    registers,
    async collect() {
      this.set((await status()).online ? 1 : 0);
    },
  });
  new Gauge({
    name: 'minio_cluster_kms_uptime',
    help: 'The time the KMS has been up and running in seconds.',
    registers,
    // 0 while offline or when the KMS does not say (a labelless gauge always has a sample).
    async collect() {
      this.set((await status()).uptime ?? 0);
    },
  });
  const counter = (name: string, help: string, key: keyof KmsRequestCounts) =>
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset();
        this.inc(kms.counts[key]);
      },
    });
  counter('minio_cluster_kms_request_success', 'Number of KMS requests that succeeded', 'success');
  counter(
    'minio_cluster_kms_request_error',
    'Number of KMS requests that failed due to some error. (HTTP 4xx status code)',
    'error',
  );
  counter(
    'minio_cluster_kms_request_failure',
    'Number of KMS requests that failed due to some internal failure. (HTTP 5xx status code)',
    'failure',
  );
}

function usageMetrics(
  cluster: PromRegistry,
  bucket: PromRegistry,
  usage: () => Promise<BucketUsage[]>,
): void {
  const total = (name: string, help: string, value: (u: BucketUsage[]) => number) =>
    new Gauge({
      name,
      help,
      registers: [cluster],
      async collect() {
        this.set(value(await usage()));
      },
    });
  total('minio_cluster_usage_object_total', 'Total number of objects in a cluster', (u) =>
    u.reduce((n, b) => n + b.objects, 0),
  );
  total('minio_cluster_usage_total_bytes', 'Total cluster usage in bytes', (u) =>
    u.reduce((n, b) => n + b.bytes, 0),
  );
  total('minio_cluster_bucket_total', 'Total number of buckets in the cluster', (u) => u.length);
  const perBucket = (name: string, help: string, key: 'objects' | 'bytes') =>
    new Gauge({
      name,
      help,
      labelNames: ['bucket'],
      registers: [bucket],
      async collect() {
        this.reset();
        // At most MinIO's 100 buckets (the first in name order): one series each, bounded.
        for (const b of (await usage()).slice(0, MAX_BUCKETS)) this.set({ bucket: b.bucket }, b[key]);
      },
    });
  perBucket('minio_bucket_usage_object_total', 'Total number of objects', 'objects');
  perBucket('minio_bucket_usage_total_bytes', 'Total bucket size in bytes', 'bytes');
}

function processMetrics(cluster: PromRegistry, node: PromRegistry): void {
  // One snapshot per scrape, shared by the gauges that read it.
  const snapshot = cached(async () => processStats(), 100);
  const gauge = (
    registry: PromRegistry,
    name: string,
    help: string,
    value: (p: ReturnType<typeof processStats>) => number | undefined,
  ) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        this.reset();
        const v = value(await snapshot());
        if (v !== undefined) this.set(v);
      },
    });
  const cpu = (registry: PromRegistry, name: string, help: string) =>
    new Counter({
      name,
      help,
      registers: [registry],
      async collect() {
        this.reset();
        this.inc((await snapshot()).cpuSeconds);
      },
    });
  // Cluster endpoint: MinIO's own process group.
  cpu(cluster, 'minio_node_process_cpu_total_seconds', 'Total user and system CPU time spent in seconds');
  gauge(
    cluster,
    'minio_node_process_resident_memory_bytes',
    'Resident memory size in bytes',
    (p) => p.residentBytes,
  );
  gauge(
    cluster,
    'minio_node_process_virtual_memory_bytes',
    'Virtual memory size in bytes',
    (p) => p.virtualBytes,
  );
  gauge(
    cluster,
    'minio_node_process_starttime_seconds',
    'Start time for MinIO process per node, time in seconds since Unix epoc',
    (p) => p.startTimeSeconds,
  );
  gauge(
    cluster,
    'minio_node_process_uptime_seconds',
    'Uptime for MinIO process per node in seconds',
    (p) => p.uptimeSeconds,
  );
  gauge(
    cluster,
    'minio_node_file_descriptor_open_total',
    'Total number of open file descriptors by the MinIO Server process',
    (p) => p.openFds,
  );
  gauge(
    cluster,
    'minio_node_file_descriptor_limit_total',
    'Limit on total number of open file descriptors for the MinIO Server process',
    (p) => p.maxFds,
  );
  // Node endpoint: the Prometheus process collector's names under MinIO's namespace.
  cpu(node, 'minio_process_cpu_seconds_total', 'Total user and system CPU time spent in seconds.');
  gauge(
    node,
    'minio_process_resident_memory_bytes',
    'Resident memory size in bytes.',
    (p) => p.residentBytes,
  );
  gauge(node, 'minio_process_virtual_memory_bytes', 'Virtual memory size in bytes.', (p) => p.virtualBytes);
  gauge(
    node,
    'minio_process_start_time_seconds',
    'Start time of the process since unix epoch in seconds.',
    (p) => p.startTimeSeconds,
  );
  gauge(node, 'minio_process_open_fds', 'Number of open file descriptors.', (p) => p.openFds);
  gauge(node, 'minio_process_max_fds', 'Maximum number of open file descriptors.', (p) => p.maxFds);
}
