import { describe, expect, it, vi } from 'vitest';
import { createLogger } from './logger.js';
import { requestLogger } from './request-logger.js';

function capture(level: 'info' | 'debug' = 'info') {
  const lines: Array<Record<string, unknown>> = [];
  const log = createLogger({
    service: 'vault',
    level,
    format: 'json',
    sinks: [{ write: (l: string) => lines.push(JSON.parse(l)) }],
  });
  return { log, lines };
}

const untimed = (lines: Array<Record<string, unknown>>) => lines.map(({ time: _t, ...rest }) => rest);

describe('requestLogger', () => {
  it('writes the lines a child logger writes, bindings and redaction included', () => {
    const a = capture('debug');
    const b = capture('debug');
    const bindings = { reqId: 'r-1', token: 'hvs.secret' };
    for (const log of [a.log.child(bindings), requestLogger(b.log, bindings)]) {
      log.info({ status: 200 }, 'done');
      log.debug({ 'x-vault-token': 'secret', path: 'kv/a' }, 'detail');
      log.error(new Error('boom'));
      log.child({ sub: 1 }).warn('nested');
    }
    expect(b.lines).toHaveLength(4);
    expect(untimed(b.lines)).toEqual(untimed(a.lines));
    expect(b.lines[0]).toMatchObject({ reqId: 'r-1', token: '[REDACTED]' });
    expect(b.lines[1]).toMatchObject({ 'x-vault-token': '[REDACTED]' });
  });

  it('makes no child logger for a request that writes nothing at an enabled level', () => {
    const { log, lines } = capture('info');
    const child = vi.spyOn(log, 'child');
    const reqLog = requestLogger(log, { reqId: 'r-2' });
    reqLog.debug({ a: 1 }, 'not at info');
    reqLog.trace('nor this');
    expect(reqLog.isLevelEnabled('debug')).toBe(false);
    expect(reqLog.level).toBe('info');
    expect(child).not.toHaveBeenCalled();
    reqLog.warn('written');
    reqLog.error('written too');
    expect(child).toHaveBeenCalledTimes(1);
    expect(lines.map((l) => [l['level'], l['reqId'], l['msg']])).toEqual([
      ['warn', 'r-2', 'written'],
      ['error', 'r-2', 'written too'],
    ]);
  });

  it("a level set on a request's logger is its own, not its parent's", () => {
    const { log, lines } = capture('info');
    const reqLog = requestLogger(log, { reqId: 'r-3' });
    reqLog.level = 'debug';
    reqLog.debug('now written');
    log.debug('parent still at info');
    expect(log.level).toBe('info');
    expect(lines.map((l) => l['msg'])).toEqual(['now written']);
  });

  it('with child options (a route log level) the child is made at once', () => {
    const { log } = capture('info');
    const child = vi.spyOn(log, 'child');
    requestLogger(log, { reqId: 'r-4' }, { level: 'debug' });
    expect(child).toHaveBeenCalledTimes(1);
  });
});
