// The soak's counts and its report: operations and latency percentiles per kind, failures by class
// (with a few examples), mismatches, and the memory of each server before and after.
import { readFile } from 'node:fs/promises';

/** Counts operations, latencies (ms) and failure classes. */
export class SoakStats {
  constructor() {
    this.ops = new Map();
    this.failures = new Map();
    /** Failures a drill explains (KMS errors while KES is stopped): counted, not failures. */
    this.expected = new Map();
    /** The slowest requests (over 5 s), with what they touched. */
    this.slow = [];
  }

  /** Counts an operation whose failure the drill under way explains. */
  recordExpected(op, ms, cls) {
    this.record(op, ms);
    this.expected.set(cls, (this.expected.get(cls) ?? 0) + 1);
  }

  record(op, ms, failure, example) {
    let row = this.ops.get(op);
    if (!row) {
      row = { n: 0, failed: 0, ms: [] };
      this.ops.set(op, row);
    }
    row.n++;
    row.ms.push(ms);
    if (ms > 5_000 && example) {
      this.slow.push({ op, failure, at: Math.round(performance.now() - ms), ...example });
      this.slow.sort((a, b) => b.ms - a.ms).splice(20);
    }
    if (failure === undefined) return;
    row.failed++;
    let f = this.failures.get(failure);
    if (!f) {
      f = { count: 0, ops: {}, examples: [] };
      this.failures.set(failure, f);
    }
    f.count++;
    f.ops[op] = (f.ops[op] ?? 0) + 1;
    if (example && f.examples.length < 3) f.examples.push(example);
  }
}

function percentile(sorted, p) {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const round = (x) => (x === undefined ? undefined : Math.round(x * 10) / 10);

/** Resident and peak memory of `pid` in MiB from /proc/<pid>/status, or undefined. */
export async function rssOf(pid) {
  try {
    const text = await readFile(`/proc/${pid}/status`, 'utf8');
    const kib = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1]);
    return { rssMiB: round(kib('VmRSS') / 1024), peakMiB: round(kib('VmHWM') / 1024) };
  } catch {
    return undefined;
  }
}

/** Memory of every named pid: { name: { rssMiB, peakMiB } }. */
export async function rssAll(pids) {
  const out = {};
  for (const [name, pid] of Object.entries(pids)) out[name] = await rssOf(pid);
  return out;
}

/** The JSON report. `ok` is false on any failure or mismatch, and `failures` says why. */
export function buildReport({ config, stats, mismatches, mismatchCount, seconds, rss, readBack, drill }) {
  const ops = {};
  let total = 0;
  for (const [op, row] of [...stats.ops].sort()) {
    const sorted = row.ms.slice().sort((a, b) => a - b);
    ops[op] = {
      n: row.n,
      failed: row.failed,
      p50ms: round(percentile(sorted, 50)),
      p99ms: round(percentile(sorted, 99)),
      maxMs: round(sorted[sorted.length - 1]),
    };
    total += row.n;
  }
  const errors = Object.fromEntries([...stats.failures].sort((a, b) => b[1].count - a[1].count));
  const failures = [];
  for (const [cls, f] of Object.entries(errors)) failures.push(`${f.count} × ${cls}`);
  if (mismatchCount > 0) failures.push(`${mismatchCount} mismatches`);
  return {
    config,
    seconds: round(seconds),
    totals: {
      ops: total,
      opsPerSecond: round(total / seconds),
      failed: Object.values(errors).reduce((n, f) => n + f.count, 0),
      mismatches: mismatchCount,
      readBack,
    },
    ops,
    errors,
    expected: Object.fromEntries(stats.expected),
    slowest: stats.slow,
    drill,
    mismatches,
    rss,
    ok: failures.length === 0,
    failures,
  };
}

function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i] ?? '').length)));
  const line = (r) =>
    r
      .map((c, i) =>
        String(c ?? '–')
          .padStart(i === 0 ? 0 : widths[i])
          .padEnd(i === 0 ? widths[0] : 0),
      )
      .join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The report as text tables. */
export function reportText(r) {
  const parts = [];
  parts.push(
    `soak: ${r.config.workers} workers × ${r.config.seconds} s against ${r.config.endpoint}` +
      `${r.config.noRace ? ' (no read of a key another worker writes)' : ''}: ${r.totals.ops} ops ` +
      `(${r.totals.opsPerSecond}/s), ${r.totals.failed} failed, ${r.totals.mismatches} mismatches, ` +
      `${r.totals.readBack} keys read back`,
  );
  parts.push(
    table(
      ['op', 'n', 'failed', 'p50 ms', 'p99 ms', 'max ms'],
      Object.entries(r.ops).map(([op, o]) => [op, o.n, o.failed, o.p50ms, o.p99ms, o.maxMs]),
    ),
  );
  if (Object.keys(r.errors).length > 0) {
    parts.push(
      table(
        ['failure class', 'count', 'by op'],
        Object.entries(r.errors).map(([cls, f]) => [cls, f.count, JSON.stringify(f.ops)]),
      ),
    );
  }
  for (const [cls, n] of Object.entries(r.expected)) parts.push(`expected during the drill: ${n} × ${cls}`);
  if (r.drill) parts.push(`drill: ${JSON.stringify(r.drill)}`);
  for (const m of r.mismatches.slice(0, 10)) parts.push(`mismatch: ${JSON.stringify(m)}`);
  const names = Object.keys(r.rss.before ?? {});
  if (names.length > 0) {
    parts.push(
      table(
        ['server', 'RSS before MiB', 'after MiB', 'after idle MiB', 'peak MiB'],
        names.map((n) => [
          n,
          r.rss.before[n]?.rssMiB,
          r.rss.after[n]?.rssMiB,
          r.rss.idle?.[n]?.rssMiB,
          (r.rss.idle?.[n] ?? r.rss.after[n])?.peakMiB,
        ]),
      ),
    );
  }
  parts.push(r.ok ? 'soak: OK' : `soak: FAILED — ${r.failures.join('; ')}`);
  return parts.join('\n\n');
}
