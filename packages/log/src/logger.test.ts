import { describe, expect, it } from 'vitest';
import { parseLogFormat, parseLogLevel } from './levels.js';
import { createLogger, type LoggerOptions } from './logger.js';
import { SECRET_FIELDS } from './redact.js';
import { completionFields, incomingRequestId } from './request.js';
import { formatStandard } from './standard.js';

function capture(opts: Omit<LoggerOptions, 'sinks'>) {
  const lines: string[] = [];
  const log = createLogger({ ...opts, sinks: [{ write: (l: string) => lines.push(l) }] });
  return { log, lines };
}

describe('createLogger', () => {
  it('writes one JSON line with time, level, service and msg', () => {
    const { log, lines } = capture({ service: 'kes', format: 'json' });
    log.child({ reqId: 'r-1' }).info({ status: 200 }, 'request completed');
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith('\n')).toBe(true);
    const rec = JSON.parse(lines[0]!);
    expect(rec).toEqual({
      level: 'info',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      service: 'kes',
      reqId: 'r-1',
      status: 200,
      msg: 'request completed',
    });
  });

  it.each([
    ['trace', 6],
    ['debug', 5],
    ['info', 4],
    ['warn', 2],
    ['error', 1],
    ['off', 0],
  ] as const)('at %s writes %d of trace, debug, info, info, warn, error', (level, n) => {
    const { log, lines } = capture({ service: 'vault', level, format: 'json' });
    log.trace('t');
    log.debug('d');
    log.info('i');
    log.info('i2');
    log.warn('w');
    log.error('e');
    expect(lines).toHaveLength(n);
  });

  it.each(SECRET_FIELDS)('redacts %s at the top level and two levels down', (field) => {
    const { log, lines } = capture({ service: 'minio', format: 'json' });
    const secret = `s3cr3t-${field}`;
    log.info({ [field]: secret, req: { headers: { [field]: secret } }, body: { [field]: secret } }, 'x');
    expect(lines[0]).not.toContain(secret);
    expect(JSON.parse(lines[0]!)[field]).toBe('[REDACTED]');
  });

  it('keeps only type, message, code and cause of an error', () => {
    const { log, lines } = capture({ service: 'kes', format: 'json' });
    const err = Object.assign(new Error('vault: 403', { cause: new TypeError('fetch failed') }), {
      code: 'E403',
      request: { headers: { 'x-vault-token': 'hvs.leaked' } },
    });
    log.error({ err }, 'login failed');
    expect(lines[0]).not.toContain('hvs.leaked');
    expect(JSON.parse(lines[0]!).err).toEqual({
      type: 'Error',
      message: 'vault: 403',
      code: 'E403',
      cause: { type: 'TypeError', message: 'fetch failed' },
    });
  });

  it('renders the standard format as one readable line with the same fields', () => {
    const { log, lines } = capture({ service: 'kes', format: 'standard', level: 'debug' });
    log.child({ reqId: 'A1' }).debug({ path: '/v1/key/create/k 1', status: 200 }, 'request completed');
    expect(lines[0]).toMatch(
      /^\d{4}-\d\d-\d\dT[\d:.]+Z \[DEBUG\] kes {3}request completed reqId=A1 path="\/v1\/key\/create\/k 1" status=200\n$/,
    );
  });

  it('hands each redacted record to onRecord', () => {
    const seen: Array<Record<string, unknown>> = [];
    const log = createLogger({ service: 'kes', sinks: [], onRecord: (r) => seen.push(r) });
    log.error({ token: 't' }, 'boom');
    expect(seen).toMatchObject([{ msg: 'boom', token: '[REDACTED]', level: 'error' }]);
  });
});

describe('formatStandard', () => {
  it('writes an error as its message and causes', () => {
    const line = formatStandard({
      time: 't',
      level: 'error',
      service: 'vault',
      msg: 'failed',
      err: { type: 'Error', message: 'a', cause: { message: 'b' } },
    });
    expect(line).toBe('t [ERROR] vault failed err="a: b"\n');
  });
});

describe('levels', () => {
  it.each([
    ['TRACE', 'trace'],
    ['notice', 'info'],
    ['', 'info'],
    ['warning', 'warn'],
    ['err', 'error'],
    ['off', 'off'],
  ] as const)('%j is %s', (text, level) => expect(parseLogLevel(text)).toBe(level));
  it('refuses an unknown level or format', () => {
    expect(() => parseLogLevel('verbose')).toThrow('unknown log level: verbose');
    expect(() => parseLogFormat('xml')).toThrow('unknown log format: xml');
    expect(parseLogFormat('JSON')).toBe('json');
    expect(parseLogFormat('')).toBe('standard');
  });
});

describe('completionFields', () => {
  it('drops the query: presigned URLs carry their signature there', () => {
    expect(completionFields('GET', '/b/o?X-Amz-Signature=abc&X-Amz-Credential=k', 200, 1.234)).toEqual({
      method: 'GET',
      path: '/b/o',
      status: 200,
      durationMs: 1.2,
    });
  });
});

describe('incomingRequestId', () => {
  it.each([
    ['18802B1C3A0F0001', '18802B1C3A0F0001'],
    ['a b', undefined],
    ['x'.repeat(129), undefined],
    [['a', 'b'], undefined],
    [undefined, undefined],
  ])('%j gives %j', (value, id) => expect(incomingRequestId({ 'x-request-id': value })).toBe(id));
});

describe('secrets by their form', () => {
  it.each([
    ['a Vault service token', 'hvs.CAESIJ3wGm1qZkF0a2VuLXZhbHVlLXRoYXQtaXM'],
    ['a Vault batch token', 'hvb.AAAAAQJ9x7Wm2bS0aXRoLWJhdGNoLXRva2Vu'],
    ['a KES API key', 'kes:v1:ACQpoGqx3rHHjT938Hfu5hVVQJHZWSqVI2Xp1KlYxFVw'],
  ])('%s in a message or an error is replaced, in both formats', (_what, secret) => {
    for (const format of ['json', 'standard'] as const) {
      const { log, lines } = capture({ service: 'kes', format });
      log.error({ err: new Error(`login with ${secret} failed`) }, `token ${secret} refused`);
      expect(lines[0]).not.toContain(secret);
      expect(lines[0]).toContain('token [REDACTED] refused');
    }
  });
});
