// Audit devices end to end in process: what an entry holds and hides, the salt under the barrier,
// the table across a restart, the fail-closed rule, sudo, and the audited request headers.
import { createHmac } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hashValues } from '../src/audit/hash.js';
import { closeAfterEach, type Harness, harness, initAndUnseal } from './helpers.js';

let h: Harness;
closeAfterEach(() => h);

const HMAC = /^hmac-sha256:[0-9a-f]{64}$/;

async function setup(
  core: { allowAuditLogPrefixing?: boolean } = {},
): Promise<{ root: string; key: string; log: string }> {
  h = await harness({ core });
  const { root, keys } = await initAndUnseal(h, 1, 1);
  const log = join(h.dir, 'audit.log');
  const res = await h.call('PUT', 'sys/audit/file', { type: 'file', options: { file_path: log } }, root);
  expect(res.status).toBe(204);
  return { root, key: keys[0]!, log };
}

// biome-ignore lint/suspicious/noExplicitAny: entries are asserted field by field
function entries(log: string): any[] {
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));
}

/** The salt the device keys its HMAC with, read back from under the barrier. */
async function saltOf(path: string): Promise<string> {
  const entry = h.core.audit.entries.find((e) => e.path === path)!;
  return (await h.core.barrier.get(`audit/${entry.uuid}/salt`))!.toString('utf8');
}

describe('audit entries', () => {
  it('write a request and a response line per request, every secret string HMAC-ed with the device salt', async () => {
    const { root, log } = await setup();
    await h.call('POST', 'sys/mounts/kv', { type: 'kv' }, root);
    expect((await h.call('PUT', 'kv/app', { password: 'hunter2-secret', n: 7 }, root)).status).toBe(204);
    const read = await h.call('GET', 'kv/app', undefined, root);
    expect(read.body.data.password).toBe('hunter2-secret');

    const all = entries(log);
    // The enable request's response, then the mount, the write and the read: request + response each.
    const forRead = all.filter((e) => e.request.id === read.body.request_id);
    expect(forRead.map((e) => e.type)).toEqual(['request', 'response']);
    const [req, res] = forRead;
    expect(Object.keys(req)).toEqual(['time', 'type', 'auth', 'request']);
    expect(req.request).toMatchObject({
      operation: 'read',
      mount_point: 'kv/',
      mount_type: 'kv',
      namespace: { id: 'root' },
      path: 'kv/app',
      remote_address: '127.0.0.1',
    });
    expect(req.auth).toMatchObject({ display_name: 'root', policies: ['root'], token_type: 'service' });
    expect(req.auth.client_token).toMatch(HMAC);
    expect(req.auth.accessor).toMatch(HMAC);
    expect(req.request.client_token).toBe(req.auth.client_token);
    expect(res.response.data).toMatchObject({ n: 7 });
    expect(res.response.data.password).toMatch(HMAC);
    expect(Number.isNaN(Date.parse(res.time))).toBe(false);

    // The HMAC is HMAC-SHA256 keyed with the salt stored for this device, and sys/audit-hash agrees.
    const salt = await saltOf('file/');
    const mac = (v: string) => `hmac-sha256:${createHmac('sha256', salt).update(v).digest('hex')}`;
    expect(res.response.data.password).toBe(mac('hunter2-secret'));
    expect(req.auth.client_token).toBe(mac(root));
    const hashed = await h.call('PUT', 'sys/audit-hash/file', { input: 'hunter2-secret' }, root);
    expect(hashed.body.data.hash).toBe(mac('hunter2-secret'));
    expect(hashed.body.hash).toBe(mac('hunter2-secret'));

    // Nothing raw: no token, no secret anywhere in the file.
    const text = readFileSync(log, 'utf8');
    expect(text).not.toContain(root);
    expect(text).not.toContain('hunter2-secret');
  });

  it('a login: the token handed out is HMAC-ed in the response entry', async () => {
    const { root, log } = await setup();
    await h.call('POST', 'sys/auth/approle', { type: 'approle' }, root);
    await h.call('PUT', 'auth/approle/role/r', { token_policies: 'default' }, root);
    const roleId = (await h.call('GET', 'auth/approle/role/r/role-id', undefined, root)).body.data.role_id;
    const secretId = (await h.call('PUT', 'auth/approle/role/r/secret-id', {}, root)).body.data.secret_id;
    const login = await h.call('PUT', 'auth/approle/login', { role_id: roleId, secret_id: secretId });
    const token = login.body.auth.client_token as string;
    const [req, res] = entries(log).filter((e) => e.request.id === login.body.request_id);
    expect(req.auth).toEqual({ token_type: 'default' });
    expect(req.request.data.secret_id).toMatch(HMAC);
    expect(res.response.auth.client_token).toMatch(HMAC);
    expect(res.response.auth.accessor).toMatch(HMAC);
    expect(res.response.auth.policies).toEqual(['default']);
    const text = readFileSync(log, 'utf8');
    for (const raw of [token, secretId, login.body.auth.accessor]) expect(text).not.toContain(raw);
  });

  it('a refused request is audited with its error, request and response', async () => {
    const { root, log } = await setup();
    await h.call('PUT', 'sys/policies/acl/none', { policy: 'path "x/*" { capabilities = ["read"] }' }, root);
    const t = (await h.call('POST', 'auth/token/create', { policies: ['none'] }, root)).body.auth
      .client_token;
    expect((await h.call('GET', 'sys/mounts', undefined, t)).status).toBe(403);
    expect((await h.call('GET', 'sys/mounts', undefined, 'not-a-token')).status).toBe(403);
    const refused = entries(log).filter((e) => e.request.path === 'sys/mounts');
    expect(refused.map((e) => e.type)).toEqual(['request', 'response', 'request', 'response']);
    for (const e of refused) expect(e.error).toContain('permission denied');
    expect(refused[0].auth.policy_results).toEqual({ allowed: false });
    expect(refused[0].auth.policies).toEqual(['default', 'none']);
    expect(refused[2].auth).toEqual({ token_type: 'default' });
    expect(refused[2].request.client_token).toMatch(HMAC);
    expect(readFileSync(log, 'utf8')).not.toContain('not-a-token');
  });

  it('options: prefix, hmac_accessor=false, log_raw=true, as Vault reads them', async () => {
    const { root } = await setup({ allowAuditLogPrefixing: true });
    const raw = join(h.dir, 'raw.log');
    const plain = join(h.dir, 'plain.log');
    const opts = (file_path: string, more: Record<string, string>) => ({
      type: 'file',
      options: { file_path, ...more },
    });
    expect(
      (await h.call('PUT', 'sys/audit/raw', opts(raw, { log_raw: 'true', prefix: '@cee: ' }), root)).status,
    ).toBe(204);
    expect((await h.call('PUT', 'sys/audit/acc', opts(plain, { hmac_accessor: 'false' }), root)).status).toBe(
      204,
    );
    const lookup = await h.call('GET', 'auth/token/lookup-self', undefined, root);
    const accessor = lookup.body.data.accessor as string;
    const rawLines = readFileSync(raw, 'utf8').trim().split('\n');
    expect(rawLines.every((l) => l.startsWith('@cee: {'))).toBe(true);
    expect(rawLines.some((l) => l.includes(root))).toBe(true);
    const acc = entries(plain).filter((e) => e.request.id === lookup.body.request_id);
    expect(acc[0].auth.accessor).toBe(accessor);
    expect(acc[0].auth.client_token).toMatch(HMAC);
    expect(acc[1].response.data.accessor).toMatch(HMAC);
  });

  it('enable refuses what Vault refuses, with its words (400)', async () => {
    const { root } = await setup();
    const cases: Array<[string, unknown, string]> = [
      ['file/sub', { type: 'file', options: { file_path: '/tmp/x' } }, 'path already in use'],
      ['other', { type: 'socket', options: {} }, 'unknown backend type: "socket"'],
      ['other', { type: 'file', options: {} }, 'file_path is required'],
      [
        'other',
        { type: 'file', options: { file_path: '/tmp/y', format: 'xml' } },
        'unknown format type "xml"',
      ],
      [
        'other',
        { type: 'file', options: { file_path: '/tmp/y', prefix: '* * * * * root ' } },
        'audit log prefixing is not allowed',
      ],
      [
        'other',
        { type: 'file', options: { file_path: '/tmp/y', log_raw: 'yes' } },
        'strconv.ParseBool: parsing "yes": invalid syntax',
      ],
      [
        'other',
        { type: 'file', options: { file_path: '/dev/full' } },
        'audit backend failed test message: write /dev/full: no space left on device',
      ],
      [
        'other',
        { type: 'file', options: { file_path: '/proc/nope/x.log' } },
        'sanity check failed; unable to open "/proc/nope/x.log" for writing: mkdir /proc/nope: no such file or directory',
      ],
    ];
    for (const [path, body, msg] of cases) {
      expect((await h.call('PUT', `sys/audit/${path}`, body, root)).body).toEqual({ errors: [msg] });
    }
    expect(Object.keys((await h.call('GET', 'sys/audit', undefined, root)).body.data)).toEqual(['file/']);
  });
});

describe('audit table', () => {
  it('survives a restart: listed again after unseal, same salt, entries appended', async () => {
    const { root, key, log } = await setup();
    const before = (await h.call('PUT', 'sys/audit-hash/file', { input: 'x' }, root)).body.data.hash;
    const listed = await h.call('GET', 'sys/audit', undefined, root);
    expect(listed.body.data).toEqual({
      'file/': { type: 'file', description: '', options: { file_path: log }, local: false, path: 'file/' },
    });
    expect(listed.body['file/']).toEqual(listed.body.data['file/']);
    const lines = entries(log).length;
    await h.restart();
    await h.call('PUT', 'sys/unseal', { key });
    expect((await h.call('GET', 'sys/audit', undefined, root)).body.data).toEqual(listed.body.data);
    expect((await h.call('PUT', 'sys/audit-hash/file', { input: 'x' }, root)).body.data.hash).toBe(before);
    expect(entries(log).length).toBeGreaterThan(lines);
    // The table and the salt are under the barrier: neither the path nor the salt is in the files.
    const salt = await saltOf('file/');
    const stored = readdirSync(join(h.dir, 'file'), { recursive: true, withFileTypes: true })
      .filter((d) => d.isFile())
      .map((d) => readFileSync(join(d.parentPath, d.name), 'utf8'))
      .join('\n');
    expect(stored).toContain('Value');
    expect(stored).not.toContain(salt);
    expect(stored).not.toContain('audit.log');
  });

  it('reopen (SIGHUP): after the log is renamed away, entries go to a new file at the path', async () => {
    const { root, log } = await setup();
    renameSync(log, `${log}.1`);
    await h.call('GET', 'sys/mounts', undefined, root);
    expect(existsSync(log)).toBe(false);
    h.core.audit.reopen();
    const res = await h.call('GET', 'sys/policy', undefined, root);
    expect(entries(log).map((e) => [e.type, e.request.id])).toEqual([
      ['request', res.body.request_id],
      ['response', res.body.request_id],
    ]);
    expect(entries(`${log}.1`).some((e) => e.request.path === 'sys/mounts')).toBe(true);
  });

  it('disable: the device stops, a path with no device is a 204 no-op', async () => {
    const { root, log } = await setup();
    expect((await h.call('DELETE', 'sys/audit/file', undefined, root)).status).toBe(204);
    const n = entries(log).length;
    await h.call('GET', 'sys/mounts', undefined, root);
    expect(entries(log).length).toBe(n);
    expect((await h.call('DELETE', 'sys/audit/none', undefined, root)).status).toBe(204);
    expect((await h.call('GET', 'sys/audit', undefined, root)).body.data).toEqual({});
    expect((await h.call('PUT', 'sys/audit-hash/file', { input: 'x' }, root)).body).toEqual({
      errors: ['unknown audit backend "file/"'],
    });
  });
});

describe('fail-closed', () => {
  it('while one device writes, requests go on; when none can, a request fails 500 and does not run', async () => {
    const { root } = await setup();
    await h.call('POST', 'sys/mounts/kv', { type: 'kv' }, root);
    const full = { type: 'file', options: { file_path: '/dev/full', skip_test: 'true' } };
    expect((await h.call('PUT', 'sys/audit/full', full, root)).status).toBe(204);
    expect((await h.call('PUT', 'kv/a', { v: '1' }, root)).status).toBe(204);
    expect((await h.call('DELETE', 'sys/audit/file', undefined, root)).status).toBe(500);
    expect(h.core.audit.entries.map((e) => e.path)).toEqual(['full/']);
    const write = await h.call('PUT', 'kv/b', { v: '2' }, root);
    expect(write).toMatchObject({ status: 500, body: { errors: ['internal error'] } });
    const kv = h.core.mounts.find((m) => m.path === 'kv/')!;
    expect(await h.core.barrier.get(`logical/${kv.uuid}/a`)).toBeDefined();
    expect(await h.core.barrier.get(`logical/${kv.uuid}/b`)).toBeUndefined();
    expect((await h.call('GET', 'kv/a', undefined, root)).status).toBe(500);
  });
});

describe('forwarded requests', () => {
  it('on the active node: forwarded_from on the request entry, forwarded on the response', async () => {
    const { root, log } = await setup();
    const res = await h.core.handle({
      operation: 'read',
      path: 'sys/mounts',
      data: {},
      token: root,
      clientAddr: '10.0.0.7',
      id: 'f0f0f0f0-0000-4000-8000-000000000001',
      forwardedFrom: '127.0.0.1:48822',
    });
    expect(res?.data).toHaveProperty(['sys/']);
    const [req, resp] = entries(log).filter((e) => e.request.id === 'f0f0f0f0-0000-4000-8000-000000000001');
    expect(req).toMatchObject({ type: 'request', forwarded_from: '127.0.0.1:48822' });
    expect(req.request.remote_address).toBe('10.0.0.7');
    expect(req.request.remote_port).toBeUndefined();
    expect(resp).toMatchObject({ type: 'response', forwarded: true });
    expect(resp.forwarded_from).toBeUndefined();
    const direct = entries(log).find((e) => e.type === 'response' && e.request.path === 'sys/audit/file');
    expect(direct.forwarded).toBeUndefined();
  });
});

describe('sudo and headers', () => {
  it('sys/audit and sys/config/auditing need sudo; sys/audit-hash needs update only', async () => {
    const { root } = await setup();
    const policy = (sudo: boolean) =>
      `path "sys/audit*" { capabilities = ["read","update","delete"${sudo ? ',"sudo"' : ''}] }
       path "sys/config/auditing/*" { capabilities = ["read","update"${sudo ? ',"sudo"' : ''}] }`;
    await h.call('PUT', 'sys/policies/acl/plain', { policy: policy(false) }, root);
    await h.call('PUT', 'sys/policies/acl/sudo', { policy: policy(true) }, root);
    const plain = (await h.call('POST', 'auth/token/create', { policies: ['plain'] }, root)).body.auth
      .client_token;
    const sudo = (await h.call('POST', 'auth/token/create', { policies: ['sudo'] }, root)).body.auth
      .client_token;
    for (const [t, code] of [
      [plain, 403],
      [sudo, 200],
    ] as const) {
      expect((await h.call('GET', 'sys/audit', undefined, t)).status).toBe(code);
      expect((await h.call('GET', 'sys/config/auditing/request-headers', undefined, t)).status).toBe(code);
    }
    expect(
      (await h.call('PUT', 'sys/audit/other', { type: 'file', options: { file_path: '/tmp/z' } }, plain))
        .status,
    ).toBe(403);
    expect((await h.call('PUT', 'sys/audit-hash/file', { input: 'x' }, plain)).status).toBe(200);
  });

  it('configured request headers are recorded, HMAC-ed when asked, token headers always', async () => {
    const { root, log } = await setup();
    for (const [name, hmac] of [
      ['X-Request-Id', false],
      ['traceparent', false],
      ['x-secret', true],
      ['x-vault-token', false],
    ] as const)
      expect(
        (await h.call('PUT', `sys/config/auditing/request-headers/${name}`, { hmac }, root)).status,
      ).toBe(204);
    expect((await h.call('GET', 'sys/config/auditing/request-headers', undefined, root)).body.data).toEqual({
      headers: {
        'x-request-id': { hmac: false },
        traceparent: { hmac: false },
        'x-secret': { hmac: true },
        'x-vault-token': { hmac: false },
      },
    });
    expect(
      (await h.call('GET', 'sys/config/auditing/request-headers/traceparent', undefined, root)).body.data,
    ).toEqual({
      traceparent: { hmac: false },
    });
    const trace = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const res = await h.app.inject({
      method: 'GET',
      url: '/v1/sys/mounts',
      headers: { 'x-vault-token': root, 'x-request-id': 'req-42', traceparent: trace, 'x-secret': 'pssst' },
    });
    const id = JSON.parse(res.body).request_id;
    const [req] = entries(log).filter((e) => e.request.id === id);
    expect(req.request.headers['x-request-id']).toEqual(['req-42']);
    expect(req.request.headers.traceparent).toEqual([trace]);
    expect(req.request.headers['x-secret'][0]).toMatch(HMAC);
    expect(req.request.headers['x-vault-token'][0]).toMatch(HMAC);
    expect(readFileSync(log, 'utf8')).not.toContain('pssst');
    expect(
      (await h.call('DELETE', 'sys/config/auditing/request-headers/x-secret', undefined, root)).status,
    ).toBe(204);
    expect(
      (await h.call('GET', 'sys/config/auditing/request-headers/x-secret', undefined, root)).body,
    ).toEqual({
      errors: ['Could not find header in config'],
    });
  });
});

describe('hashValues', () => {
  it.each([
    ['a string', 'x', 'H(x)'],
    ['numbers, booleans, null', { a: 1, b: true, c: null }, { a: 1, b: true, c: null }],
    ['nested values and lists', { a: { b: ['x', 2] } }, { a: { b: ['H(x)', 2] } }],
    ['RFC 3339 times stay clear', { t: '2024-01-02T03:04:05.123Z' }, { t: '2024-01-02T03:04:05.123Z' }],
    ['keys stay clear', { secret: 'v' }, { secret: 'H(v)' }],
  ])('%s', (_name, input, want) => {
    expect(hashValues(input, (s) => `H(${s})`)).toEqual(want);
  });

  it('takes a Buffer or a Date as its JSON form, as Vault copies data through JSON', () => {
    const when = new Date('2024-01-02T03:04:05.000Z');
    expect(
      hashValues({ b: Buffer.from('hi'), d: when, u: undefined, l: [undefined] }, (s) => `H(${s})`),
    ).toEqual({
      b: { type: 'H(Buffer)', data: [104, 105] },
      d: '2024-01-02T03:04:05.000Z',
      l: [null],
    });
  });

  it('leaves the values under clear keys alone, at any depth', () => {
    expect(hashValues({ a: 'x', keep: ['y'], n: { keep: 'z' } }, (s) => `H(${s})`, ['keep'])).toEqual({
      a: 'H(x)',
      keep: ['y'],
      n: { keep: 'z' },
    });
  });
});
