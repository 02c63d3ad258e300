// `storage "etcd"` against a secured etcd (docs/vault.md#etcd-storage): client TLS with client
// certificates (etcd's --client-cert-auth) and user/password authentication switched on, the
// Vault user allowed its own prefix only. The built vault bin initialises, unseals, writes and
// reads through it and comes back after a restart; a wrong password, a CA that did not sign etcd's
// certificate, a missing client certificate or a prefix the user may not touch each fail with
// etcd's reason (and never the password). tls_server_name and the default trust store (no
// tls_ca_file) are exercised against a certificate that does not name 127.0.0.1.
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createCertificate } from '@kms-chain/tls-identity';
import {
  type EtcdCluster,
  type EtcdVaultConfig,
  enableEtcdAuth,
  etcdBinary,
  etcdVaultConfig,
  type LoopbackPki,
  loopbackPki,
  startEtcd,
} from '@kms-chain/tools';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { binDir, freePort, type Proc, plainVaultApi, sh, startProc, tempDir } from './chain-support.js';

const hasEtcd = etcdBinary() !== undefined;
if (!hasEtcd) console.warn('vault-etcd-secure.test: etcd is not installed (Debian etcd-server); skipped');

const PASSWORD = 'vault-etcd-password-9f2c';

describe.skipIf(!hasEtcd)(
  'vault on an etcd with TLS, client certificates and auth',
  { timeout: 60_000 },
  () => {
    let dir: string;
    let pki: LoopbackPki;
    let etcd: EtcdCluster;
    let named: EtcdCluster;
    let port: number;
    let vault: Proc | undefined;
    const api = plainVaultApi(() => port);
    const file: Record<string, string> = {};
    let keys: string[] = [];
    let root = '';

    const write = async (name: string, text: string): Promise<string> => {
      const path = join(dir, name);
      await writeFile(path, text, { mode: 0o600 });
      return path;
    };
    /** A config on the secured etcd; `over` replaces the TLS or auth settings. */
    const config = (over: Partial<EtcdVaultConfig> = {}): EtcdVaultConfig => ({
      etcdAddress: etcd.address,
      port,
      path: 'vault/',
      etcdTls: { caFile: file['ca']!, certFile: file['clientCert']!, keyFile: file['clientKey']! },
      etcdAuth: { username: 'vault', password: PASSWORD },
      storageExtra: 'request_timeout = "3s"',
      ...over,
    });
    const start = async (name: string, c: EtcdVaultConfig, env: Record<string, string> = {}) => {
      await write(name, etcdVaultConfig(c));
      const proc = startProc(join(binDir, 'vault'), ['server', '-config', name], {
        cwd: dir,
        env: { HOME: dir, ...env },
      });
      await proc.waitFor(/==> Vault server started!/, 20_000);
      return proc;
    };
    /** Runs `vault server` expecting it to fail at start; its stderr. */
    const refused = async (
      name: string,
      c: EtcdVaultConfig,
      env: Record<string, string> = {},
    ): Promise<string> => {
      await write(name, etcdVaultConfig(c));
      const envText = Object.entries(env)
        .map(([k, v]) => `${k}=${v} `)
        .join('');
      const r = sh(dir, `${envText}"${join(binDir, 'vault')}" server -config ${name}`);
      expect(r.status, r.stdout).toBe(1);
      expect(r.stderr).not.toContain(PASSWORD);
      return r.stderr;
    };

    beforeAll(async () => {
      dir = await tempDir('vault-etcd-secure-');
      pki = await loopbackPki('etcd test CA');
      const issuer = { cert: pki.ca.certPem, key: pki.ca.keyPem };
      // etcd's gateway dials its own gRPC port with the server certificate as client certificate,
      // so under --client-cert-auth that certificate needs clientAuth as well.
      const server = await createCertificate({
        subject: { commonName: 'etcd' },
        dns: ['localhost'],
        ip: ['127.0.0.1'],
        serverAuth: true,
        clientAuth: true,
        issuer,
      });
      const client = await pki.client('vault', 'ec-p256');
      const other = await loopbackPki('some other CA');
      file['ca'] = await write('ca.crt', pki.ca.certPem);
      file['otherCa'] = await write('other-ca.crt', other.ca.certPem);
      file['serverCert'] = await write('etcd.crt', server.certPem);
      file['serverKey'] = await write('etcd.key', server.keyPem);
      file['clientCert'] = await write('vault.crt', client.certPem);
      file['clientKey'] = await write('vault.key', client.keyPem);
      etcd = await startEtcd(1, {
        tls: { certFile: file['serverCert'], keyFile: file['serverKey'], clientCaFile: file['ca'] },
      });
      await enableEtcdAuth(
        etcd,
        'etcd-root-password',
        [{ name: 'vault', password: PASSWORD, prefix: '/vault/' }],
        { ca: pki.ca.certPem, cert: client.certPem, key: client.keyPem },
      );
      // A second etcd whose certificate names only etcd.kms-chain.test (not 127.0.0.1); server TLS only.
      const onlyNamed = await createCertificate({
        subject: { commonName: 'etcd.kms-chain.test' },
        dns: ['etcd.kms-chain.test'],
        serverAuth: true,
        issuer,
      });
      named = await startEtcd(1, {
        tls: {
          certFile: await write('named.crt', onlyNamed.certPem),
          keyFile: await write('named.key', onlyNamed.keyPem),
        },
      });
      port = await freePort();
    }, 60_000);
    afterEach(async () => {
      await vault?.stop();
      vault = undefined;
    });
    afterAll(async () => {
      await etcd?.stop();
      await named?.stop();
      await rm(dir, { recursive: true, force: true });
    });

    it('initialises, unseals, writes and reads; a restart comes back sealed with the data', async () => {
      expect(etcd.address).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      vault = await start('vault.hcl', config());
      const init = await api('PUT', 'sys/init', { secret_shares: 3, secret_threshold: 2 });
      expect(init.status).toBe(200);
      keys = init.json.keys_base64;
      root = init.json.root_token;
      for (const k of keys.slice(0, 2)) await api('PUT', 'sys/unseal', { key: k });
      expect((await api('POST', 'sys/mounts/kv', { type: 'kv' }, root)).status).toBe(204);
      expect((await api('PUT', 'kv/minio/k1', { value: 'over tls with auth' }, root)).status).toBe(204);
      expect((await api('GET', 'kv/minio/k1', undefined, root)).json.data).toEqual({
        value: 'over tls with auth',
      });
      await vault.stop();
      vault = await start('vault.hcl', config());
      expect((await api('GET', 'sys/seal-status')).json.sealed).toBe(true);
      for (const k of keys.slice(1, 3)) await api('PUT', 'sys/unseal', { key: k });
      expect((await api('GET', 'kv/minio/k1', undefined, root)).json.data).toEqual({
        value: 'over tls with auth',
      });
      await vault.stop();
      vault = undefined;
    });

    it('a wrong password: exits 1 with etcd\'s "authentication failed", the password not echoed', async () => {
      const err = await refused(
        'wrong-password.hcl',
        config({ etcdAuth: { username: 'vault', password: 'not-it' } }),
      );
      expect(err).toMatch(
        /^Error initializing storage of type etcd: etcd sync: .*authentication failed, invalid user ID or password$/m,
      );
      expect(err).not.toContain('not-it');
    });

    it("a CA that did not sign etcd's certificate: exits 1 naming the certificate problem", async () => {
      const tls = { caFile: file['otherCa']!, certFile: file['clientCert']!, keyFile: file['clientKey']! };
      const err = await refused('wrong-ca.hcl', config({ etcdTls: tls }));
      expect(err).toMatch(
        /^Error initializing storage of type etcd: etcd sync: .*\(TLS with https:\/\/127\.0\.0\.1:\d+: unable to verify the first certificate\)$/m,
      );
    });

    it('no client certificate: etcd (--client-cert-auth) refuses the handshake', async () => {
      const err = await refused('no-client-cert.hcl', config({ etcdTls: { caFile: file['ca']! } }));
      expect(err).toMatch(
        /^Error initializing storage of type etcd: etcd sync: .*\(TLS with https:\/\/127\.0\.0\.1:\d+: etcd refused the client certificate \(none given, or not from a CA it trusts\)\)$/m,
      );
    });

    it('a path outside the user\'s prefix: requests fail with etcd\'s "permission denied"', async () => {
      vault = await start('other-prefix.hcl', config({ path: 'elsewhere/' }));
      const init = await api('PUT', 'sys/init', { secret_shares: 1, secret_threshold: 1 });
      expect(init.status).toBe(500);
      expect(init.json.errors.join()).toMatch(/^etcd get: .*permission denied/);
      await vault.stop();
      vault = undefined;
    });

    it('tls_server_name: the name to check when the address is an IP the certificate does not name', async () => {
      const base = {
        etcdAddress: named.address,
        port,
        path: 'vault/',
        storageExtra: 'request_timeout = "3s"',
      };
      const mismatch = await refused('named-ip.hcl', { ...base, etcdTls: { caFile: file['ca']! } });
      expect(mismatch).toMatch(
        /^Error initializing storage of type etcd: etcd sync: .*\(TLS with https:\/\/127\.0\.0\.1:\d+: .*IP: 127\.0\.0\.1 is not in the cert's list/m,
      );
      vault = await start('named.hcl', {
        ...base,
        etcdTls: { caFile: file['ca']!, serverName: 'etcd.kms-chain.test' },
      });
      expect((await api('PUT', 'sys/init', { secret_shares: 1, secret_threshold: 1 })).status).toBe(200);
      await vault.stop();
      vault = undefined;
    });

    it('tls_server_name alone (no CA file): the default trust store, checked for that name', async () => {
      const c: EtcdVaultConfig = {
        etcdAddress: named.address,
        port,
        path: 'alone/',
        storageExtra: 'request_timeout = "3s"',
        etcdTls: { serverName: 'etcd.kms-chain.test' },
      };
      vault = await start('name-only.hcl', c, { GRPC_DEFAULT_SSL_ROOTS_FILE_PATH: file['ca']! });
      expect((await api('PUT', 'sys/init', { secret_shares: 1, secret_threshold: 1 })).status).toBe(200);
    });

    it('a client certificate without tls_ca_file: etcd is checked against the default trust store', async () => {
      // gRPC's default trust store is the file GRPC_DEFAULT_SSL_ROOTS_FILE_PATH names (else Node's):
      // the test CA stands in for the system bundle there.
      const c = config({ etcdTls: { certFile: file['clientCert']!, keyFile: file['clientKey']! } });
      vault = await start('default-trust.hcl', c, { GRPC_DEFAULT_SSL_ROOTS_FILE_PATH: file['ca']! });
      expect((await api('GET', 'sys/init')).json).toEqual({ initialized: true });
      await vault.stop();
      vault = undefined;
      // A trust store without the test CA: refused, and the reason named.
      expect(
        await refused('default-trust.hcl', c, { GRPC_DEFAULT_SSL_ROOTS_FILE_PATH: file['otherCa']! }),
      ).toMatch(
        /^Error initializing storage of type etcd: etcd sync: .*\(TLS with https:\/\/127\.0\.0\.1:\d+: unable to verify the first certificate\)$/m,
      );
    });
  },
);
