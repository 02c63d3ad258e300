import { X509Certificate } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { opensslIdentity, type Scratch, scratch } from '../test/openssl.js';
import { createDevPki, isCaCertificate, TlsIdentityError } from './index.js';

const mode = (path: string) => statSync(path).mode & 0o777;

describe('createDevPki', () => {
  let s: Scratch;
  beforeAll(() => {
    s = scratch();
  });
  afterAll(() => s.remove());

  it('makes a CA, a loopback server certificate and client certificates openssl verifies', async () => {
    const pki = await createDevPki(s.path('a'), { clients: ['minio', 'admin'] });
    expect(pki.dir).toBe(s.path('a'));
    expect(mode(pki.dir)).toBe(0o700);
    const files = ['ca', 'server', 'minio', 'admin'].flatMap((n) => [`${n}.crt`, `${n}.key`]);
    for (const f of files) expect(mode(join(pki.dir, f)), f).toBe(0o600);
    expect(pki.ca.certPath).toBe(join(pki.dir, 'ca.crt'));
    expect(isCaCertificate(pki.ca.certPem)).toBe(true);

    const verify = s.sh(
      'cd a && openssl verify -CAfile ca.crt -purpose sslserver server.crt && ' +
        'openssl verify -CAfile ca.crt -purpose sslclient minio.crt admin.crt',
    );
    expect(verify).toBe('server.crt: OK\nminio.crt: OK\nadmin.crt: OK\n');
    const server = new X509Certificate(pki.server.certPem);
    expect(server.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(server.checkHost('localhost')).toBe('localhost');
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(server.checkIP('::1')).toBe('::1');
    for (const name of ['minio', 'admin'] as const) {
      const c = pki.clients[name]!;
      expect(c.identity).toBe(opensslIdentity(s, c.certPath));
      expect(new X509Certificate(c.certPem).subject).toContain(`CN=${name}`);
      expect(isCaCertificate(c.certPem)).toBe(false);
    }
    expect(new Set([pki.ca.identity, pki.server.identity, pki.clients['minio']!.identity]).size).toBe(3);
  });

  it('reuses what is there, tightens permissions, and remakes only what is missing or broken', async () => {
    const dir = s.path('b');
    const first = await createDevPki(dir, { clients: ['minio'] });
    chmodSync(dir, 0o755);
    chmodSync(first.server.keyPath, 0o644);
    const again = await createDevPki(dir, { clients: ['minio'] });
    expect(again).toEqual(first);
    expect(mode(dir)).toBe(0o700);
    expect(mode(first.server.keyPath)).toBe(0o600);

    // A missing client key: only that client is made anew.
    rmSync(first.clients['minio']!.keyPath);
    const third = await createDevPki(dir, { clients: ['minio', 'extra'] });
    expect(third.ca.identity).toBe(first.ca.identity);
    expect(third.server.identity).toBe(first.server.identity);
    expect(third.clients['minio']!.identity).not.toBe(first.clients['minio']!.identity);
    expect(third.clients['extra']).toBeDefined();

    // A server key that does not match its certificate: the server pair is made anew.
    writeFileSync(first.server.keyPath, readFileSync(first.clients['minio']!.keyPath));
    const fourth = await createDevPki(dir, { clients: ['minio'] });
    expect(fourth.server.identity).not.toBe(first.server.identity);
    expect(fourth.ca.identity).toBe(first.ca.identity);

    // Asking for other SANs remakes the server certificate.
    const fifth = await createDevPki(dir, {
      clients: ['minio'],
      serverIp: ['127.0.0.1'],
      serverDns: ['localhost', 'kes'],
    });
    expect(new X509Certificate(fifth.server.certPem).subjectAltName).toBe(
      'DNS:localhost, DNS:kes, IP Address:127.0.0.1',
    );

    // A broken CA: everything is re-issued under a new CA.
    writeFileSync(first.ca.certPath, 'garbage');
    const sixth = await createDevPki(dir, { clients: ['minio'] });
    expect(sixth.ca.identity).not.toBe(first.ca.identity);
    expect(sixth.server.identity).not.toBe(fifth.server.identity);
    expect(sixth.clients['minio']!.identity).not.toBe(third.clients['minio']!.identity);
    expect(s.sh('cd b && openssl verify -CAfile ca.crt server.crt minio.crt')).toBe(
      'server.crt: OK\nminio.crt: OK\n',
    );
  });

  it('renews certificates close to expiry', async () => {
    const dir = s.path('c');
    const first = await createDevPki(dir, { validityDays: 3 });
    const second = await createDevPki(dir, { validityDays: 3 });
    expect(second.server.identity).toBe(first.server.identity);
    const renewed = await createDevPki(dir, { validityDays: 30, renewWithinDays: 7 });
    expect(renewed.server.identity).not.toBe(first.server.identity);
    expect(renewed.ca.identity).toBe(first.ca.identity); // the CA got 30 days (10 × 3)
  });

  it('serialises concurrent callers on one directory', async () => {
    const dir = s.path('d');
    const all = await Promise.all([1, 2, 3, 4].map(() => createDevPki(dir, { keyType: 'ed25519' })));
    for (const p of all) expect(p).toEqual(all[0]);
    expect(s.sh('cd d && openssl verify -CAfile ca.crt server.crt minio.crt')).toBe(
      'server.crt: OK\nminio.crt: OK\n',
    );
  });

  it('works with RSA keys and takes over a stale lock', async () => {
    const dir = s.path('e');
    mkdirSync(join(dir, '.lock'), { recursive: true });
    const old = new Date(Date.now() - 120_000);
    const { utimesSync } = await import('node:fs');
    utimesSync(join(dir, '.lock'), old, old);
    const pki = await createDevPki(dir, { keyType: 'rsa', clients: [] });
    expect(new X509Certificate(pki.server.certPem).publicKey.asymmetricKeyType).toBe('rsa');
    expect(pki.clients).toEqual({});
  });

  it('refuses bad client names and unusable directories', async () => {
    for (const name of ['ca', 'server', '../x', 'a b', '']) {
      await expect(createDevPki(s.path('f'), { clients: [name] })).rejects.toMatchObject({
        code: 'options/invalid',
      });
    }
    writeFileSync(s.path('file'), 'x');
    const err = await createDevPki(join(s.path('file'), 'sub')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TlsIdentityError);
    expect((err as TlsIdentityError).code).toBe('pki/io');
  });
});
