// /v1/log/error and /v1/log/audit: ndjson streams until the client goes away.
import type { HandlerResult, RequestContext } from '../types.js';

function stream<T>(ctx: RequestContext, subscribe: (fn: (e: T) => void) => () => void): HandlerResult {
  const { reply, state } = ctx;
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { 'Content-Type': 'application/x-ndjson', 'Cache-Control': 'no-store' });
  res.flushHeaders();
  const unsubscribe = subscribe((e) => {
    res.write(`${JSON.stringify(e)}\n`);
  });
  const end = (): void => {
    unsubscribe();
    state.streams.delete(end);
    if (!res.writableEnded) res.end();
  };
  state.streams.add(end);
  ctx.req.raw.socket.on('close', end);
  res.on('close', end);
  return 'hijacked';
}

export function logError(ctx: RequestContext): HandlerResult {
  return stream(ctx, (fn) => ctx.state.logs.errors.subscribe(fn));
}

export function logAudit(ctx: RequestContext): HandlerResult {
  return stream(ctx, (fn) => ctx.state.logs.audit.subscribe(fn));
}
