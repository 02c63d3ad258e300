// CORS as MinIO's global setting (MINIO_API_CORS_ALLOW_ORIGIN, default `*`) defines it: preflights are
// answered 204 with the origin, method and headers echoed and no S3 handler run; other requests from an
// allowed origin carry the origin, the exposed headers and credentials; an OPTIONS that is no preflight
// is an empty 200 (docs/s3.md#cors).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEnvConfig } from '../src/config/env.js';
import { EXPOSED_HEADERS, matchWildcard } from '../src/http/cors.js';
import { startServer, type TestServer } from './helpers.js';
import { errorCode, send } from './raw-http.js';

const PREFLIGHT_VARY = 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers';

function cors(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string | string[] | undefined> {
  return Object.fromEntries(
    Object.entries(headers).filter(([k]) => k.startsWith('access-control-') || k === 'vary'),
  );
}

describe('with the default MINIO_API_CORS_ALLOW_ORIGIN (every origin), as MinIO does', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startServer();
    await send(srv.port, { method: 'PUT', path: '/cors' });
    await send(srv.port, { method: 'PUT', path: '/cors/obj', body: 'hello' });
  });
  afterAll(async () => {
    await srv.close();
  });

  it('a preflight answers 204 with the origin, the asked method and headers echoed, unsigned', async () => {
    const res = await send(srv.port, {
      method: 'OPTIONS',
      path: '/cors/obj',
      unsigned: true,
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'PUT',
        'access-control-request-headers': 'content-type,x-amz-date,authorization',
      },
    });
    expect([res.status, res.body]).toEqual([204, '']);
    expect(cors(res.headers)).toEqual({
      vary: PREFLIGHT_VARY,
      'access-control-allow-origin': 'https://app.example',
      'access-control-allow-methods': 'PUT',
      'access-control-allow-headers': 'content-type,x-amz-date,authorization',
      'access-control-allow-credentials': 'true',
    });
  });

  it('a preflight without an Origin or for a method CORS does not allow gets Vary alone', async () => {
    const noOrigin = await send(srv.port, {
      method: 'OPTIONS',
      path: '/cors/obj',
      unsigned: true,
      headers: { 'access-control-request-method': 'GET' },
    });
    const badMethod = await send(srv.port, {
      method: 'OPTIONS',
      path: '/cors/obj',
      unsigned: true,
      headers: { origin: 'https://app.example', 'access-control-request-method': 'TRACE' },
    });
    for (const res of [noOrigin, badMethod]) {
      expect(res.status).toBe(204);
      expect(cors(res.headers)).toEqual({ vary: PREFLIGHT_VARY });
    }
  });

  it('an OPTIONS that is no preflight answers an empty 200, on any path', async () => {
    for (const path of ['/', '/cors', '/cors/obj', '/no-such-bucket/x']) {
      const res = await send(srv.port, { method: 'OPTIONS', path, unsigned: true });
      expect({ path, status: res.status, body: res.body, length: res.headers['content-length'] }).toEqual({
        path,
        status: 200,
        body: '',
        length: '0',
      });
      expect(cors(res.headers)).toEqual({ vary: 'Origin' });
    }
  });

  it('answers to an allowed origin carry the origin, the exposed headers and credentials, errors too', async () => {
    const expected = {
      vary: 'Origin',
      'access-control-allow-origin': 'https://app.example',
      'access-control-expose-headers': EXPOSED_HEADERS,
      'access-control-allow-credentials': 'true',
    };
    const get = await send(srv.port, {
      method: 'GET',
      path: '/cors/obj',
      headers: { origin: 'https://app.example' },
    });
    expect([get.status, get.body]).toEqual([200, 'hello']);
    expect(cors(get.headers)).toEqual(expected);
    const missing = await send(srv.port, {
      method: 'GET',
      path: '/cors/nope',
      headers: { origin: 'https://app.example' },
    });
    expect([missing.status, errorCode(missing.body)]).toEqual([404, 'NoSuchKey']);
    expect(cors(missing.headers)).toEqual(expected);
    const options = await send(srv.port, {
      method: 'OPTIONS',
      path: '/cors/obj',
      unsigned: true,
      headers: { origin: 'https://app.example' },
    });
    expect(cors(options.headers)).toEqual(expected);
  });

  it('answers without an Origin carry Vary: Origin alone', async () => {
    const get = await send(srv.port, { method: 'GET', path: '/cors/obj' });
    expect(cors(get.headers)).toEqual({ vary: 'Origin' });
  });
});

describe('with MINIO_API_CORS_ALLOW_ORIGIN naming origins', () => {
  let srv: TestServer;
  beforeAll(async () => {
    const env = loadEnvConfig({
      MINIO_API_CORS_ALLOW_ORIGIN: 'https://*.example.com, http://localhost:3000',
    });
    expect(env.corsAllowOrigins).toEqual(['https://*.example.com', 'http://localhost:3000']);
    srv = await startServer({ corsAllowOrigins: env.corsAllowOrigins });
    await send(srv.port, { method: 'PUT', path: '/cors' });
  });
  afterAll(async () => {
    await srv.close();
  });

  it.each([
    ['https://app.example.com', true],
    ['http://localhost:3000', true],
    ['https://example.com', false],
    ['https://evil.com', false],
    ['http://app.example.com', false],
  ])('origin %s allowed: %s, for preflights and requests alike', async (origin, allowed) => {
    const preflight = await send(srv.port, {
      method: 'OPTIONS',
      path: '/cors',
      unsigned: true,
      headers: { origin, 'access-control-request-method': 'GET' },
    });
    const get = await send(srv.port, { method: 'GET', path: '/cors', headers: { origin } });
    expect([
      preflight.headers['access-control-allow-origin'],
      get.headers['access-control-allow-origin'],
    ]).toEqual(allowed ? [origin, origin] : [undefined, undefined]);
    expect(get.status).toBe(200);
  });
});

describe('MinIO wildcard origins', () => {
  it.each([
    ['*', 'anything', true],
    ['https://*.example.com', 'https://a.b.example.com', true],
    ['https://*.example.com', 'https://example.com', false],
    ['http://*:3000', 'http://host:3000', true],
    ['http://*:3000', 'http://host:30000', false],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'acb', false],
    ['exact', 'exact', true],
    ['exact', 'Exact', false],
  ])('%s matches %s: %s', (pattern, origin, matches) => {
    expect(matchWildcard(pattern, origin)).toBe(matches);
  });
});
