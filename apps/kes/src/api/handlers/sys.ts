// /version, /v1/ready, /v1/status, /v1/metrics, /v1/api.
import { arch, availableParallelism, cpus, platform } from 'node:os';
import { errReadyUnavailable, errReadyUnreachable } from '../../errors.js';
import type { HandlerResult, RequestContext } from '../types.js';

export function getVersion(ctx: RequestContext): HandlerResult {
  return { json: ctx.state.version };
}

export async function getReady(ctx: RequestContext): Promise<HandlerResult> {
  const s = await ctx.state.keys.status(ctx.signal);
  if (s.reachable) return undefined;
  throw s.unavailable ? errReadyUnavailable() : errReadyUnreachable();
}

const goos: Record<string, string> = { win32: 'windows' };
const goarch: Record<string, string> = { x64: 'amd64', ia32: '386' };

export async function getStatus(ctx: RequestContext): Promise<HandlerResult> {
  const s = await ctx.state.keys.status(ctx.signal);
  const mem = process.memoryUsage();
  const json: Record<string, unknown> = {
    version: ctx.state.version.version,
    os: goos[platform()] ?? platform(),
    arch: goarch[arch()] ?? arch(),
    uptime: Math.floor((Date.now() - ctx.state.startedAt) / 1000),
    num_cpu: cpus().length,
    num_cpu_used: availableParallelism(),
    mem_heap_used: mem.heapUsed,
  };
  if (s.latencyMs > 0) json.keystore_latency = s.latencyMs;
  // kms-go rejects "unreachable" without "unavailable" (docs/kes-protocol.md#status): send both when down.
  if (!s.reachable) {
    json.keystore_unreachable = true;
    json.keystore_unavailable = true;
  }
  return { json };
}

export async function getMetrics(ctx: RequestContext): Promise<HandlerResult> {
  const reg = ctx.state.metrics.registry;
  return { text: await reg.metrics(), contentType: reg.contentType };
}

export function listAPIs(ctx: RequestContext): HandlerResult {
  return {
    json: ctx.state.routes.map((r) => ({
      method: r.method,
      path: r.path,
      max_body: r.maxBody,
      timeout: Math.round(r.timeoutMs / 1000),
    })),
  };
}
