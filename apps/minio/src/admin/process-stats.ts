// The process facts behind MinIO's process metrics (minio_node_process_*, minio_node_file_descriptor_*
// on the cluster endpoint; minio_process_* on the node one), read when Prometheus asks: from /proc on
// Linux as MinIO does, from Node's own counters elsewhere (descriptors and virtual memory then unknown).
import { readdirSync, readFileSync } from 'node:fs';

/** A snapshot of the process; `undefined` where the system does not say. */
export interface ProcessStats {
  /** User plus system CPU time, seconds. */
  cpuSeconds: number;
  residentBytes: number;
  virtualBytes: number | undefined;
  /** Start time, seconds since the Unix epoch. */
  startTimeSeconds: number;
  uptimeSeconds: number;
  openFds: number | undefined;
  maxFds: number | undefined;
}

const startedAt = Date.now() / 1000 - process.uptime();

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function countFds(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return undefined;
  }
}

function maxFds(): number | undefined {
  const m = /^Max open files\s+(\d+)/m.exec(readText('/proc/self/limits') ?? '');
  return m ? Number(m[1]) : undefined;
}

/** Virtual memory size from /proc/self/status (VmSize, in kB). */
function virtualBytes(): number | undefined {
  const m = /^VmSize:\s+(\d+)\s+kB$/m.exec(readText('/proc/self/status') ?? '');
  return m ? Number(m[1]) * 1024 : undefined;
}

/** Reads the process's figures now (a few small /proc reads). */
export function processStats(): ProcessStats {
  const cpu = process.cpuUsage();
  return {
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    residentBytes: process.memoryUsage.rss(),
    virtualBytes: virtualBytes(),
    startTimeSeconds: startedAt,
    uptimeSeconds: process.uptime(),
    openFds: countFds(),
    maxFds: maxFds(),
  };
}
