import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, formatGoDuration, parseConfig, parseGoDuration } from './index.js';

const testdata = join(import.meta.dirname, '..', '..', 'testdata');
const read = (f: string): string => readFileSync(join(testdata, f), 'utf8');

const env = {
  KES_ADMIN: 'A'.repeat(64),
  MINIO_IDENTITY: 'b'.repeat(64),
  APPROLE_ID: 'role-1',
  APPROLE_SECRET: 'secret-1',
};

describe('parseGoDuration', () => {
  it.each([
    ['5m', 300_000],
    ['20s', 20_000],
    ['1h30m', 5_400_000],
    ['0', 0],
    ['1.5s', 1500],
    ['250ms', 250],
    ['-1s', -1000],
  ])('%s → %d ms', (text, ms) => expect(parseGoDuration(text)).toBe(ms));

  it.each(['', '5', 'm', '5 m', '5x', '1h-3m', '1d12h', ' 5m', '9223372036854775808ns'])(
    'rejects %j',
    (text) => expect(parseGoDuration(text)).toBeUndefined(),
  );
});

describe('formatGoDuration', () => {
  it.each([
    [0, '0s'],
    [1.5, '1.5ms'],
    [0.001, '1µs'],
    [1500, '1.5s'],
    [90_000, '1m30s'],
    [2_764_800_000, '768h0m0s'],
    [-300_000, '-5m0s'],
  ])('%d ms → %s', (ms, text) => expect(formatGoDuration(ms)).toBe(text));
});

describe('E1 TOML (the guide)', () => {
  it('parses every field of the guide config', () => {
    const c = parseConfig('kes-config.toml', read('kes-config.toml'));
    expect(c.era).toBe('toml');
    expect(c.address).toBe('0.0.0.0:7373');
    expect(c.admin).toBeUndefined();
    expect(c.tls).toMatchObject({ key: './kes-tls.key', cert: './kes-tls.crt', clientAuth: 'verify' });
    expect(c.policies).toEqual([
      {
        name: 'minio',
        allow: ['/v1/key/create/minio-*', '/v1/key/generate/minio-*', '/v1/key/decrypt/minio-*'],
        deny: [],
        identities: ['dd46485bedc9ad2909d2e8f9017216eec4413bc5c64b236d992f7ec19c843c5f'],
      },
    ]);
    expect(c.policyMatch).toBe('glob');
    expect(c.errors).toBe('legacy');
    expect(c.cache).toEqual({ anyMs: 300_000, unusedMs: 20_000, offlineMs: 0 });
    expect(c.keystore).toEqual({
      kind: 'vault',
      endpoints: ['https://127.0.0.1:8200'],
      engine: 'kv',
      version: 'v1',
      namespace: '',
      prefix: 'minio',
      approle: {
        engine: 'approle',
        id: '7a8b2c1e-0000-4000-8000-000000000001',
        secret: '1f2e3d4c-0000-4000-8000-000000000002',
        retryMs: 15_000,
      },
      tls: { ca: './vault-tls.crt' },
      pingMs: 10_000,
    });
  });

  it('takes root as admin only when it is a hash', () => {
    const id = 'c'.repeat(64);
    expect(parseConfig('a.toml', `root = "${id}"`).admin).toBe(id);
    expect(parseConfig('a.toml', 'root = "disabled"').admin).toBeUndefined();
    expect(parseConfig('a.toml', 'root = "_"').admin).toBeUndefined();
  });

  it('lets errors = "head" choose the current spelling', () => {
    expect(parseConfig('a.toml', 'errors = "head"').errors).toBe('head');
  });

  it('defaults to the fs keystore when configured and never-expiring caches', () => {
    const c = parseConfig('a.toml', '[keystore.fs]\npath = "./keys"\n');
    expect(c.keystore).toEqual({ kind: 'fs', path: './keys' });
    expect(c.cache).toEqual({ anyMs: 0, unusedMs: 0, offlineMs: 0 });
    expect(c.address).toBe('127.0.0.1:7373');
  });

  it.each([
    [
      '[cache.expiry]\nall = "5 minutes"\n',
      'kes-config.toml: cache.expiry.all: expected a duration like "5m"',
    ],
    [
      '[cache.expiry]\nunused = "-1s"\n',
      'kes-config.toml: cache.expiry.unused: expected a duration like "5m"',
    ],
    [
      '[keystore.vault]\nname = "x"\n[keystore.vault.approle]\nid = "a"\n',
      'kes-config.toml: keystore.vault.address: expected the Vault URL',
    ],
    [
      '[keystore.vault]\naddress = "https://v"\n[keystore.vault.approle]\nretry = "x"\n',
      'kes-config.toml: keystore.vault.approle.retry: expected a duration like "5m"',
    ],
    ['address = [1]\n', 'kes-config.toml: address:'],
    [
      '[policy.a]\nidentities = ["x"]\n[policy.b]\nidentities = ["x"]\n',
      "kes-config.toml: policy.b.identities: identity 'x' is already assigned to policy 'a'",
    ],
    ['address = "x\n', 'kes-config.toml: line 1:'],
  ])('reports %j with file and field', (text, message) => {
    expect(() => parseConfig('kes-config.toml', text)).toThrow(ConfigError);
    expect(() => parseConfig('kes-config.toml', text)).toThrow(message);
  });
});

describe('HEAD YAML', () => {
  it('parses every field and substitutes $-brace variables', () => {
    const c = parseConfig('kes-config.yaml', read('kes-config.yaml'), env);
    expect(c.era).toBe('yaml');
    expect(c.admin).toBe('a'.repeat(64));
    expect(c.tls.clientAuth).toBe('ignore');
    expect(c.cache).toEqual({ anyMs: 300_000, unusedMs: 30_000, offlineMs: 3_600_000 });
    expect(c.skipAuth).toEqual(['/v1/ready']);
    expect(c.timeouts).toEqual({ '/v1/ready': 5000 });
    expect(c.policies[0]).toEqual({
      name: 'minio',
      allow: ['/v1/key/create/minio-*', '/v1/key/generate/minio-*'],
      deny: ['/v1/key/generate/minio-secret'],
      identities: ['b'.repeat(64)],
    });
    expect(c.policyMatch).toBe('prefix');
    expect(c.errors).toBe('head');
    expect(c.keys).toEqual(['minio-default']);
    expect(c.keystore).toEqual({
      kind: 'vault',
      endpoints: ['https://127.0.0.1:8200'],
      engine: 'secret',
      version: 'v2',
      namespace: 'team-a',
      prefix: 'kes/keys',
      approle: { engine: 'approle', namespace: undefined, id: 'role-1', secret: 'secret-1', retryMs: 2000 },
      tls: { ca: './vault-tls.crt' },
      pingMs: 3000,
    });
  });

  it('leaves policy patterns alone and fails on unset variables', () => {
    const literal = ['$', '{NOT_SUBSTITUTED}'].join('');
    const text = read('kes-config.yaml');
    expect(() => parseConfig('kes-config.yaml', text, { ...env, APPROLE_SECRET: undefined })).toThrow(
      "kes-config.yaml: keystore.vault.approle.secret: environment variable 'APPROLE_SECRET' is not set",
    );
    const c = parseConfig(
      'k.yaml',
      `admin: {identity: disabled}\ntls: {key: k, cert: c}\npolicy: {p: {allow: ["${literal}"]}}\nkeystore: {fs: {path: ./k}}\n`,
      {},
    );
    expect(c.policies[0]!.allow).toEqual([literal]);
    expect(c.admin).toBeUndefined();
  });

  it.each([
    ['admin: {identity: x}\ntls: {key: k, cert: c}\n', 'k.yaml: keystore: no keystore specified'],
    [
      'tls: {key: k, cert: c}\nkeystore: {fs: {path: p}}\n',
      'k.yaml: admin.identity: admin identity is required',
    ],
    ['admin: {identity: x}\nkeystore: {fs: {path: p}}\n', 'k.yaml: tls: '],
    [
      'version: v2\nadmin: {identity: x}\ntls: {key: k, cert: c}\nkeystore: {fs: {path: p}}\n',
      'k.yaml: version: expected "v1"',
    ],
    [
      'admin: {identity: x}\ntls: {key: k, cert: c}\ncache: {expiry: {unused: soon}}\nkeystore: {fs: {path: p}}\n',
      'k.yaml: cache.expiry.unused: expected a duration like "5m"',
    ],
    [
      'admin: {identity: x}\ntls: {key: k, cert: c}\nkeystore: {vault: {endpoint: "https://v", version: v3, approle: {id: a, secret: b}}}\n',
      'k.yaml: keystore.vault.version: expected "v1" or "v2"',
    ],
    [
      'admin: {identity: x}\ntls: {key: k, cert: c}\napi: {/v1/key/create: {skip_auth: true}}\nkeystore: {fs: {path: p}}\n',
      'k.yaml: api./v1/key/create.skip_auth: not allowed for this API',
    ],
    [
      'admin: {identity: x}\ntls: {key: k, cert: c, auth: maybe}\nkeystore: {fs: {path: p}}\n',
      'k.yaml: tls.auth: expected "on" or "off"',
    ],
    ['- a\n- b\n', 'k.yaml: expected a YAML mapping'],
    [
      `admin: {identity: ${'d'.repeat(64)}}\ntls: {key: k, cert: c}\npolicy: {p: {identities: [${'d'.repeat(64)}]}}\nkeystore: {fs: {path: p}}\n`,
      'is the admin identity',
    ],
  ])('reports %j', (text, message) => {
    expect(() => parseConfig('k.yaml', text, {})).toThrow(message);
  });
});

describe('policy patterns', () => {
  it('rejects a malformed glob in the TOML era, naming the policy and list', () => {
    expect(() =>
      parseConfig('kes-config.toml', '[policy.minio]\npaths = ["/v1/key/create/[minio"]\n'),
    ).toThrow(
      'kes-config.toml: policy.minio.paths: invalid policy pattern "/v1/key/create/[minio": syntax error in pattern',
    );
  });

  it('accepts the same text as a prefix pattern in the YAML era', () => {
    const c = parseConfig(
      'k.yaml',
      'admin: {identity: disabled}\ntls: {key: k, cert: c}\npolicy: {p: {allow: ["/v1/key/create/[minio*"]}}\nkeystore: {fs: {path: p}}\n',
      {},
    );
    expect(c.policies[0]!.allow).toEqual(['/v1/key/create/[minio*']);
  });
});

describe('KES v0.1–v0.4 TOML spellings', () => {
  it('reads top-level [vault] and [fs]', () => {
    const v = parseConfig(
      'old.toml',
      '[vault]\naddress = "https://127.0.0.1:8200"\nname = "app"\n[vault.approle]\nid = "i"\nsecret = "s"\n',
    );
    expect(v.keystore).toMatchObject({
      kind: 'vault',
      endpoints: ['https://127.0.0.1:8200'],
      prefix: 'app',
      engine: 'kv',
    });
    const f = parseConfig('old.toml', '[fs]\npath = "/var/kes"\n');
    expect(f.keystore).toEqual({ kind: 'fs', path: '/var/kes' });
  });
});

describe('Vault Kubernetes auth (HEAD YAML)', () => {
  const base = 'admin: {identity: x}\ntls: {key: k, cert: c}\nkeystore:\n  vault:\n    endpoint: https://v\n';
  it('maps keystore.vault.kubernetes', () => {
    const c = parseConfig(
      'k.yaml',
      `${base}    kubernetes: {role: kes, jwt: /var/run/token, retry: 3s}\n`,
      {},
    );
    expect(c.keystore).toMatchObject({
      kind: 'vault',
      kubernetes: { engine: 'kubernetes', role: 'kes', jwt: '/var/run/token', retryMs: 3000 },
    });
  });
  it.each([
    ['', 'k.yaml: keystore.vault: exactly one of approle and kubernetes must be specified'],
    [
      '    approle: {id: a, secret: b}\n    kubernetes: {role: r, jwt: j}\n',
      'k.yaml: keystore.vault: exactly one of approle and kubernetes must be specified',
    ],
  ])('rejects %j', (extra, message) =>
    expect(() => parseConfig('k.yaml', base + extra, {})).toThrow(message),
  );
});

describe('several Vault endpoints (beyond upstream: docs/kes-protocol.md#vault-endpoints)', () => {
  it('YAML: endpoint as a list, or one URL', () => {
    const head = 'admin: {identity: x}\ntls: {key: k, cert: c}\nkeystore:\n  vault:\n';
    const list = parseConfig(
      'k.yaml',
      `${head}    endpoint: [https://v1:8200, https://v2:8200]\n    approle: {id: a, secret: b}\n`,
      {},
    );
    expect(list.keystore).toMatchObject({ endpoints: ['https://v1:8200', 'https://v2:8200'] });
    const one = parseConfig(
      'k.yaml',
      `${head}    endpoint: https://v1:8200\n    approle: {id: a, secret: b}\n`,
      {},
    );
    expect(one.keystore).toMatchObject({ endpoints: ['https://v1:8200'] });
    expect(() =>
      parseConfig('k.yaml', `${head}    endpoint: []\n    approle: {id: a, secret: b}\n`, {}),
    ).toThrow('expected the Vault URL');
  });

  it('TOML: address comma-separated', () => {
    const c = parseConfig(
      'old.toml',
      '[keystore.vault]\naddress = "https://v1:8200, https://v2:8200"\n[keystore.vault.approle]\nid = "a"\nsecret = "b"\n',
    );
    expect(c.keystore).toMatchObject({ endpoints: ['https://v1:8200', 'https://v2:8200'] });
  });
});

describe('log.error (HEAD YAML): on, off or the least severe level written', () => {
  const base = 'admin: {identity: x}\ntls: {key: k, cert: c}\nkeystore: {fs: {path: p}}\n';
  it.each([
    ['on', { error: true }],
    ['off', { error: false }],
    ['debug', { error: true, level: 'debug' }],
    ['debug-4', { error: true, level: 'trace' }],
    ['info', { error: true, level: 'info' }],
    ['warn', { error: true, level: 'warn' }],
    ['error', { error: true, level: 'error' }],
  ])('%s', (value, log) => {
    const c = parseConfig('k.yaml', `${base}log: {error: ${value}}\n`, {});
    expect(c.log).toEqual({ audit: false, errorFiles: [], auditFiles: [], ...log });
  });
  it('refuses another word', () => {
    expect(() => parseConfig('k.yaml', `${base}log: {error: loud}\n`, {})).toThrow(
      'k.yaml: log.error: expected "on", "off" or a level (debug, info, warn, error)',
    );
  });
});
