// The "Bad input" list, each case checked the same way: Vault's error form (status and
// `{"errors":[…]}`), and the file storage byte-for-byte as it was before the request. Requests
// go over a real socket with the target exactly as written: fastify's inject() resolves `..` and
// `%2e` segments itself, which would hide what the server does with them.
import { readdir, readFile } from 'node:fs/promises';
import http from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Listener, listen } from '../src/http/listen.js';
import { buildServer } from '../src/http/server.js';
import { type Harness, harness, initAndUnseal } from './helpers.js';

let h: Harness;
let listener: Listener;
let root = '';
let keys: string[] = [];

/** Every file under the storage root with its bytes (base64), sorted by path. */
async function snapshot(): Promise<Array<[string, string]>> {
  const out: Array<[string, string]> = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else out.push([p.slice(h.dir.length), (await readFile(p)).toString('base64')]);
    }
  };
  await walk(join(h.dir, 'file'));
  return out.sort(([a], [b]) => a.localeCompare(b));
}

/** A request over the socket with the target and body exactly as given. */
function raw(
  method: string,
  path: string,
  body?: string,
  token: string | null = root,
): Promise<{ status: number; body: { errors?: unknown[] } | undefined }> {
  const headers: Record<string, string> = {};
  if (token !== null) headers['x-vault-token'] = token;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: listener.address.port, method, path, headers },
      (res) => {
        let data = '';
        res.on('data', (c) => {
          data += c;
        });
        res.on('end', () => {
          let parsed: { errors?: unknown[] } | undefined;
          try {
            parsed = JSON.parse(data);
          } catch {
            parsed = undefined;
          }
          resolve({ status: res.statusCode!, body: parsed });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

beforeAll(async () => {
  h = await harness({ maxRequestSize: 4096 });
  const r = await initAndUnseal(h, 5, 3);
  root = r.root;
  keys = r.keys;
  await h.call('POST', 'sys/mounts/kv', { type: 'kv' }, root);
  await h.call('POST', 'sys/mounts/kv2', { type: 'kv', options: { version: '2' } }, root);
  await h.call('PUT', 'kv/app/k1', { v: 'one' }, root);
  await h.call('PUT', 'kv2/data/app/k1', { data: { v: 'one' } }, root);
  listener = await listen(buildServer({ core: h.core, maxRequestSize: 4096 }), {
    host: '127.0.0.1',
    port: 0,
  });
});
afterAll(async () => {
  await listener?.close();
  await h.close();
});

describe('bad input leaves storage as it was', () => {
  it.each([
    ['truncated JSON', 'PUT', '/v1/kv/app/k1', '{"v": ', 400, /^failed to parse JSON input/],
    ['JSON array', 'PUT', '/v1/kv/app/k1', '[1,2]', 400, /^failed to parse JSON input/],
    ['JSON string', 'PUT', '/v1/kv/app/new', '"v"', 400, /^failed to parse JSON input/],
    ['JSON number', 'POST', '/v1/kv/app/new', '42', 400, /^failed to parse JSON input/],
    ['not JSON at all', 'PUT', '/v1/kv/app/k1', 'v=one', 400, /^failed to parse JSON input/],
    [
      'malformed JSON to KV v2',
      'PUT',
      '/v1/kv2/data/app/k1',
      '{"data": {',
      400,
      /^failed to parse JSON input/,
    ],
    [
      'malformed JSON to a policy',
      'PUT',
      '/v1/sys/policies/acl/p',
      '{"policy": ',
      400,
      /^failed to parse JSON input/,
    ],
    [
      'malformed JSON to a role',
      'POST',
      '/v1/sys/auth/approle',
      '{"type":',
      400,
      /^failed to parse JSON input/,
    ],
    [
      'bad HCL policy',
      'PUT',
      '/v1/sys/policies/acl/p',
      '{"policy":"path \\"kv/*\\" {"}',
      400,
      /^failed to parse policy/,
    ],
    [
      'unknown capability',
      'PUT',
      '/v1/sys/policy/p',
      '{"policy":"path \\"kv/*\\" { capabilities = [\\"fly\\"] }"}',
      400,
      /.+/,
    ],
    ['`..` segment', 'PUT', '/v1/kv/app/../k1', '{"v":"x"}', 400, /^invalid path/],
    ['trailing `..`', 'PUT', '/v1/kv/app/..', '{"v":"x"}', 400, /^invalid path/],
    ['`%2e%2e` segment', 'PUT', '/v1/kv/%2e%2e/sys/x', '{"v":"x"}', 400, /^invalid path/],
    ['`%2E%2e` segment, mixed case', 'PUT', '/v1/kv/app/%2E%2e/k1', '{"v":"x"}', 400, /^invalid path/],
    ['`..` behind an encoded slash', 'PUT', '/v1/kv/app%2f..%2fk1', '{"v":"x"}', 400, /^invalid path/],
    ['`.` segment', 'PUT', '/v1/kv/./app/k1', '{"v":"x"}', 400, /^invalid path/],
    ['empty segment', 'PUT', '/v1/kv/app//k1', '{"v":"x"}', 400, /^invalid path/],
    ['`..` on delete', 'DELETE', '/v1/kv/app/../app/k1', undefined, 400, /^invalid path/],
    ['`..` on a KV v2 path', 'PUT', '/v1/kv2/data/app/../x', '{"data":{}}', 400, /^invalid path/],
    ['broken percent-encoding', 'PUT', '/v1/kv/app/%zz', '{"v":"x"}', 400, /^invalid URL escape "%zz"$/],
    ['percent sign at the end', 'GET', '/v1/kv/app/k%', undefined, 400, /^invalid URL escape "%"$/],
    [
      'body over max_request_size',
      'PUT',
      '/v1/kv/app/big',
      JSON.stringify({ v: 'x'.repeat(5000) }),
      413,
      /^http: request body too large$/,
    ],
  ])('%s (%s %s) → Vault’s error, storage unchanged', async (_name, method, url, body, status, error) => {
    const before = await snapshot();
    const res = await raw(method, url, body);
    expect(res.status).toBe(status);
    expect(res.body?.errors?.[0]).toMatch(error);
    expect(res.body?.errors).toHaveLength(1);
    expect(await snapshot()).toEqual(before);
  });

  it.each([
    ['no token', null],
    ['unknown token', 'hvs.AAAAAAAAAAAAAAAAAAAAAAAA'],
    ['token of another shape', 's.xxxxxxxxxxxxxxxxxxxxxxxx'],
    ['4 KiB token', `hvs.${'A'.repeat(4096)}`],
    ['token with spaces', 'hvs. not a token'],
  ])('a write with %s is 403 permission denied and stores nothing', async (_name, token) => {
    const before = await snapshot();
    const res = await raw('PUT', '/v1/kv/app/k1', '{"v":"evil"}', token);
    expect(res).toEqual({ status: 403, body: { errors: ['1 error occurred:\n\t* permission denied\n\n'] } });
    expect(await snapshot()).toEqual(before);
  });

  it('the data written before is still what reads return', async () => {
    expect((await h.call('GET', 'kv/app/k1', undefined, root)).body.data).toEqual({ v: 'one' });
    expect((await h.call('GET', 'kv2/data/app/k1', undefined, root)).body.data.data).toEqual({ v: 'one' });
    expect((await h.call('GET', 'kv/app?list=true', undefined, root)).body.data.keys).toEqual(['k1']);
  });
});

describe('bad unseal shares', () => {
  it.each([
    ['not hex or base64', { key: 'zz-not-a-key' }, "'key' must be a valid hex or base64 string"],
    ['too short', { key: Buffer.alloc(8, 1).toString('base64') }, 'key is shorter than minimum 16 bytes'],
    ['too long', { key: Buffer.alloc(40, 1).toString('base64') }, 'key is longer than maximum 33 bytes'],
    ['missing key', {}, "'key' must be specified in request body as JSON, or 'reset' set to true"],
  ])('%s → 400 with Vault’s text; progress and storage untouched', async (_name, body, error) => {
    await h.call('PUT', 'sys/seal', undefined, root);
    await h.call('PUT', 'sys/unseal', { key: keys[0] });
    const before = await snapshot();
    const res = await h.call('PUT', 'sys/unseal', body);
    expect(res).toMatchObject({ status: 400, body: { errors: [error] } });
    expect((await h.call('GET', 'sys/seal-status')).body).toMatchObject({ sealed: true, progress: 1 });
    expect(await snapshot()).toEqual(before);
    await h.call('PUT', 'sys/unseal', { reset: true });
    for (const k of keys.slice(0, 3)) await h.call('PUT', 'sys/unseal', { key: k });
    expect((await h.call('GET', 'sys/seal-status')).body.sealed).toBe(false);
  });

  it('a well-formed wrong share counts, fails at the threshold with the GCM 500, stores nothing, and the right shares still unseal', async () => {
    await h.call('PUT', 'sys/seal', undefined, root);
    const before = await snapshot();
    // A share of the right shape and x-coordinate whose y bytes are wrong: Shamir combines it
    // without complaint, and only the root key's GCM tag shows the result is not the KEK.
    const wrongBytes = Buffer.from(keys[4]!, 'base64');
    wrongBytes[0]! ^= 0xff;
    const wrong = wrongBytes.toString('base64');
    expect((await h.call('PUT', 'sys/unseal', { key: wrong })).body.progress).toBe(1);
    expect((await h.call('PUT', 'sys/unseal', { key: keys[0] })).body.progress).toBe(2);
    const fail = await h.call('PUT', 'sys/unseal', { key: keys[1] });
    expect(fail).toMatchObject({
      status: 500,
      body: {
        errors: [
          'unable to retrieve stored keys: failed to decrypt keys from storage: cipher: message authentication failed',
        ],
      },
    });
    expect((await h.call('GET', 'sys/seal-status')).body).toMatchObject({ sealed: true, progress: 0 });
    expect(await snapshot()).toEqual(before);
    for (const k of keys.slice(2, 5)) await h.call('PUT', 'sys/unseal', { key: k });
    expect((await h.call('GET', 'sys/seal-status')).body.sealed).toBe(false);
    expect((await h.call('GET', 'kv/app/k1', undefined, root)).body.data).toEqual({ v: 'one' });
  });
});
