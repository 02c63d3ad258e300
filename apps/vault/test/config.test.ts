// Server config: the guide's JSON, the HCL form, listener lists, defaults, coercions, and errors
// that name the file and the field.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfigFiles, parseConfigObject } from '../src/config.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vault-config-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

const GUIDE_JSON = {
  api_addr: 'https://127.0.0.1:8200',
  backend: { file: { path: 'vault/file' } },
  default_lease_ttl: '168h',
  max_lease_ttl: '720h',
  listener: {
    tcp: {
      address: '0.0.0.0:8200',
      tls_cert_file: 'vault-tls.crt',
      tls_key_file: 'vault-tls.key',
      tls_min_version: 'tls12',
    },
  },
};

describe('config', () => {
  it('reads the guide JSON', async () => {
    await writeFile(join(dir, 'vault-config.json'), JSON.stringify(GUIDE_JSON));
    const c = await loadConfigFiles([join(dir, 'vault-config.json')]);
    expect(c.storage).toEqual({ type: 'file', options: { path: 'vault/file' } });
    expect(c.defaultLeaseTtl).toBe(604800);
    expect(c.maxLeaseTtl).toBe(2592000);
    expect(c.disableMlock).toBe(false);
    expect(c.allowAuditLogPrefixing).toBe(false);
    expect(c.listeners).toEqual([
      {
        address: '0.0.0.0:8200',
        tlsDisable: false,
        tlsCertFile: 'vault-tls.crt',
        tlsKeyFile: 'vault-tls.key',
        tlsMinVersion: 'TLSv1.2',
        tlsMaxVersion: undefined,
        maxRequestSize: 33554432,
        maxRequestDuration: 90,
        unauthenticatedMetricsAccess: false,
      },
    ]);
    // No telemetry stanza: Prometheus-format metrics are off, as in Vault.
    expect(c.telemetry.prometheusRetentionTime).toBe(0);
  });

  it('reads HCL with repeated listeners, tls_disable = 1, unknown keys collected', async () => {
    await writeFile(
      join(dir, 'v.hcl'),
      `storage "file" { path = "data" }
listener "tcp" {
  address = "127.0.0.1:8200"
  tls_disable = 1
}
listener "tcp" {
  address = "127.0.0.1:8300"
  tls_cert_file = "c.pem"
  tls_key_file = "k.pem"
  tls_min_version = "tls13"
  max_request_size = 1024
}
disable_mlock = true
allow_audit_log_prefixing = true
ui = true
telemetry { statsite_address = "x:1" }
plugin_directory = "/plugins"
`,
    );
    const c = await loadConfigFiles([join(dir, 'v.hcl')]);
    expect(c.listeners.map((l) => [l.address, l.tlsDisable, l.tlsMinVersion, l.maxRequestSize])).toEqual([
      ['127.0.0.1:8200', true, 'TLSv1.2', 33554432],
      ['127.0.0.1:8300', false, 'TLSv1.3', 1024],
    ]);
    expect(c.disableMlock).toBe(true);
    expect(c.allowAuditLogPrefixing).toBe(true);
    expect(c.defaultLeaseTtl).toBe(768 * 3600);
    expect(c.ignoredKeys).toEqual(['plugin_directory']);
    // A telemetry stanza (here for statsite, which we do not serve) turns Prometheus on at 24h.
    expect(c.telemetry).toEqual({
      prometheusRetentionTime: 24 * 3600,
      disableHostname: false,
      enableHostnameLabel: false,
      metricsPrefix: 'vault',
    });
  });

  it('merges a directory of files, listeners accumulating', async () => {
    const d = join(dir, 'conf.d');
    await import('node:fs/promises').then((fs) => fs.mkdir(d));
    await writeFile(
      join(d, 'a.json'),
      JSON.stringify({
        storage: { file: { path: 'x' } },
        listener: [{ tcp: { address: '127.0.0.1:1', tls_disable: true } }],
      }),
    );
    await writeFile(
      join(d, 'b.hcl'),
      'listener "tcp" {\n  address = "127.0.0.1:2"\n  tls_disable = "true"\n}\n',
    );
    const c = await loadConfigFiles([d]);
    expect(c.listeners.map((l) => l.address)).toEqual(['127.0.0.1:1', '127.0.0.1:2']);
  });

  it.each([
    [
      { ...GUIDE_JSON, listener: { tcp: { address: '0.0.0.0:8200' } } },
      'vault-config.json: listener.tcp.tls_cert_file: required unless tls_disable is set',
    ],
    [
      { ...GUIDE_JSON, listener: { tcp: { ...GUIDE_JSON.listener.tcp, tls_min_version: 'tls99' } } },
      'vault-config.json: listener.tcp.tls_min_version: expected one of tls10, tls11, tls12, tls13',
    ],
    [
      { ...GUIDE_JSON, default_lease_ttl: 'soon' },
      'vault-config.json: default_lease_ttl: expected a duration like "768h" or seconds',
    ],
    [
      { ...GUIDE_JSON, disable_mlock: 'perhaps' },
      'vault-config.json: disable_mlock: expected a boolean (true, false, 1, 0)',
    ],
    [{ ...GUIDE_JSON, backend: undefined }, 'vault-config.json: storage: a storage backend is required'],
    [
      { ...GUIDE_JSON, backend: { consul: {} } },
      'vault-config.json: storage.consul: unsupported storage backend (supported: file, inmem, etcd)',
    ],
    [{ ...GUIDE_JSON, backend: { file: {} } }, 'vault-config.json: storage.file.path: required'],
    [{ ...GUIDE_JSON, listener: [] }, 'vault-config.json: listener: at least one listener is required'],
    [
      { ...GUIDE_JSON, default_lease_ttl: '800h' },
      'vault-config.json: default_lease_ttl: must not exceed max_lease_ttl',
    ],
  ])('refuses %j', (raw, msg) => {
    expect(() => parseConfigObject(raw, 'vault-config.json')).toThrow(new ConfigError(msg));
  });

  it('malformed JSON and HCL name the file', async () => {
    await writeFile(join(dir, 'bad.json'), '{"listener": ');
    await expect(loadConfigFiles([join(dir, 'bad.json')])).rejects.toThrow(/^bad\.json: invalid JSON: /);
    await writeFile(join(dir, 'bad.hcl'), 'listener "tcp" {\n  address = \n');
    await expect(loadConfigFiles([join(dir, 'bad.hcl')])).rejects.toThrow(/^bad\.hcl: invalid HCL: /);
    await expect(loadConfigFiles([join(dir, 'missing.hcl')])).rejects.toThrow(
      'missing.hcl: no such file or directory',
    );
  });
});

describe('malformed config files: a ConfigError naming the file, never a crash', () => {
  it.each([
    ['empty.hcl', ''],
    ['only-comment.hcl', '# nothing here\n'],
    ['unterminated-string.hcl', 'storage "file" { path = "vault/file }\n'],
    ['unbalanced-braces.hcl', 'storage "file" {\n  path = "x"\n'],
    ['extra-brace.hcl', 'storage "file" { path = "x" } }\n'],
    ['stray-equals.hcl', '= "x"\n'],
    ['block-without-body.hcl', 'listener "tcp"\n'],
    ['listener-as-string.hcl', 'storage "file" { path = "x" }\nlistener = "tcp"\n'],
    ['storage-as-number.hcl', 'storage = 5\nlistener "tcp" { address = "127.0.0.1:1" tls_disable = 1 }\n'],
    ['nul-bytes.hcl', 'storage "file" { path = "x\u0000" }\u0000\n'],
    ['binary.hcl', '\u00ff\u00fe\u0001\u0002{{{'],
    ['empty.json', ''],
    ['array.json', '[{"storage": {"file": {"path": "x"}}}]'],
    ['string.json', '"storage"'],
    ['null.json', 'null'],
    ['listener-number.json', '{"storage": {"file": {"path": "x"}}, "listener": 7}'],
    [
      'storage-list.json',
      '{"storage": [1, 2], "listener": {"tcp": {"address": "127.0.0.1:1", "tls_disable": true}}}',
    ],
    [
      'address-object.json',
      '{"storage": {"file": {"path": "x"}}, "listener": {"tcp": {"address": {}, "tls_disable": true}}}',
    ],
    ['trailing-garbage.json', '{"storage": {"file": {"path": "x"}}} trailing'],
  ])('%s', async (name, text) => {
    const file = join(dir, name);
    await writeFile(file, text);
    const err = await loadConfigFiles([file]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message.startsWith(`${name}: `)).toBe(true);
  });
});
