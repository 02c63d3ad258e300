// `/v1/metrics`: KES's metric names (docs/kes-protocol.md#metrics), which kms-go parses by name.
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Logs } from './log.js';

// Linux reports the process's OS threads (V8 workers, libuv pool) in /proc; elsewhere count the main thread.
function threadCount(): number {
  try {
    const m = /^Threads:\s+(\d+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) : 1;
  } catch {
    return 1;
  }
}

export class Metrics {
  readonly registry = new Registry();
  readonly success: Counter;
  readonly error: Counter;
  readonly failure: Counter;
  readonly active: Gauge;
  readonly responseTime: Histogram;

  constructor(logs: Logs, startedAt: number) {
    const r = this.registry;
    this.success = new Counter({
      name: 'kes_http_request_success',
      help: 'Number of requests that have been served successfully.',
      registers: [r],
    });
    this.error = new Counter({
      name: 'kes_http_request_error',
      help: 'Number of request that failed due to some error. (HTTP 4xx status code)',
      registers: [r],
    });
    this.failure = new Counter({
      name: 'kes_http_request_failure',
      help: 'Number of request that failed due to some internal failure. (HTTP 5xx status code)',
      registers: [r],
    });
    this.active = new Gauge({
      name: 'kes_http_request_active',
      help: 'Number of active requests that are not finished, yet.',
      registers: [r],
    });
    this.responseTime = new Histogram({
      name: 'kes_http_response_time',
      help: 'Histogram of request response times spawning from 10ms to 10s.',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 1.5, 3, 5, 10],
      registers: [r],
    });
    const gauge = (name: string, help: string, value: () => number): void => {
      new Gauge({
        name,
        help,
        registers: [r],
        collect() {
          this.set(value());
        },
      });
    };
    gauge(
      'kes_log_error_events',
      'Number of error log events written to error log targets.',
      () => logs.errorCount,
    );
    gauge(
      'kes_log_audit_events',
      'Number of audit log events written to audit log targets.',
      () => logs.auditCount,
    );
    gauge('kes_system_up_time', 'The time the server has been up and running in seconds.', () =>
      Math.floor((Date.now() - startedAt) / 1000),
    );
    gauge('kes_system_num_cpu', 'The number of logical CPUs available on the system.', () => cpus().length);
    gauge('kes_system_num_cpu_used', 'The number of logical CPUs usable by the server.', () =>
      availableParallelism(),
    );
    gauge('kes_system_num_threads', 'The number of threads started by the server.', threadCount);
    gauge(
      'kes_system_mem_heap_used',
      'The number of bytes allocated on the heap.',
      () => process.memoryUsage().heapUsed,
    );
    // Go's heap-object and stack counters have no V8 equivalent; they are left out rather than faked
    // (kms-go reads a missing metric as zero).
  }

  /** Records one finished request. */
  observe(status: number, seconds: number): void {
    if (status >= 500) this.failure.inc();
    else if (status >= 400) this.error.inc();
    else this.success.inc();
    this.responseTime.observe(seconds);
  }
}
