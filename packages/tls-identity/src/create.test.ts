import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import * as https from 'node:https';
import * as tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { opensslIdentity, type Scratch, scratch } from '../test/openssl.js';
import { close, get, listen } from '../test/tls.js';
import {
  type CreatedCertificate,
  createCertificate,
  identityOf,
  isCaCertificate,
  type KeyType,
  loadKeyPair,
  loadPrivateKey,
  TlsIdentityError,
} from './index.js';

const TYPES: KeyType[] = ['rsa', 'ec-p256', 'ed25519'];
const SIG: Record<KeyType, RegExp> = {
  rsa: /Signature Algorithm: sha256WithRSAEncryption/,
  'ec-p256': /Signature Algorithm: ecdsa-with-SHA256/,
  ed25519: /Signature Algorithm: ED25519/,
};

async function rejects(p: Promise<unknown>): Promise<TlsIdentityError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(TlsIdentityError);
    return err as TlsIdentityError;
  }
  throw new Error('expected a TlsIdentityError');
}

describe('createCertificate', () => {
  let s: Scratch;
  const cas = {} as Record<KeyType, CreatedCertificate>;
  beforeAll(async () => {
    s = scratch();
    for (const t of TYPES) {
      cas[t] = await createCertificate({
        subject: { commonName: `CA ${t}`, organization: 'test' },
        keyType: t,
        isCa: true,
      });
      writeFileSync(s.path(`ca-${t}.crt`), cas[t].certPem);
    }
  });
  afterAll(() => s.remove());

  it.each(TYPES)('makes a self-signed %s server certificate openssl reads as asked', async (keyType) => {
    const made = await createCertificate({
      subject: { commonName: 'localhost', organization: 'kms-chain', country: 'DE' },
      keyType,
      dns: ['localhost', 'kes.internal'],
      ip: ['127.0.0.1', '::1'],
      serverAuth: true,
      validityDays: 30,
    });
    writeFileSync(s.path('self.crt'), made.certPem);
    const text = s.sh('openssl x509 -in self.crt -noout -text');
    expect(text).toMatch(SIG[keyType]);
    expect(text).toMatch(/Subject: C ?= ?DE, O ?= ?kms-chain, CN ?= ?localhost/);
    expect(text).toMatch(/Issuer: C ?= ?DE, O ?= ?kms-chain, CN ?= ?localhost/);
    expect(text).toContain(
      'DNS:localhost, DNS:kes.internal, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1',
    );
    expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:FALSE/);
    expect(text).toMatch(
      keyType === 'rsa'
        ? /X509v3 Key Usage: critical\s+Digital Signature, Key Encipherment/
        : /X509v3 Key Usage: critical\s+Digital Signature\n/,
    );
    expect(text).toMatch(/X509v3 Extended Key Usage:\s+TLS Web Server Authentication\n/);
    expect(text).toContain('X509v3 Subject Key Identifier');
    expect(made.identity).toBe(opensslIdentity(s, 'self.crt'));
    expect(identityOf(made.certPem)).toBe(made.identity);
    const cert = new X509Certificate(made.certPem);
    expect(Date.parse(cert.validTo) - Date.parse(cert.validFrom)).toBe(30 * 86_400_000);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(loadKeyPair({ cert: made.certPem, key: made.keyPem }).privateKey.asymmetricKeyType).toBe(
      keyType === 'ec-p256' ? 'ec' : keyType,
    );
    expect(s.sh('openssl verify -CAfile self.crt self.crt 2>&1')).toContain('OK');
  });

  it.each(TYPES.flatMap((ca) => TYPES.map((leaf) => [ca, leaf] as const)))(
    'a %s CA signs a %s client+server leaf that openssl verifies',
    async (caType, leafType) => {
      const ca = cas[caType];
      const leaf = await createCertificate({
        subject: { commonName: `leaf ${leafType}` },
        keyType: leafType,
        issuer: { cert: ca.certPem, key: ca.keyPem },
        dns: ['localhost'],
        serverAuth: true,
        clientAuth: true,
      });
      writeFileSync(s.path('leaf.crt'), leaf.certPem);
      const out = s.sh(
        `openssl verify -CAfile ca-${caType}.crt -purpose sslserver leaf.crt && openssl verify -CAfile ca-${caType}.crt -purpose sslclient leaf.crt`,
      );
      expect(out).toBe('leaf.crt: OK\nleaf.crt: OK\n');
      const text = s.sh('openssl x509 -in leaf.crt -noout -text');
      expect(text).toMatch(SIG[caType]);
      expect(text).toContain(`Issuer: O = test, CN = CA ${caType}`);
      expect(text).toContain('X509v3 Authority Key Identifier');
      expect(text).toMatch(/TLS Web Server Authentication, TLS Web Client Authentication/);
      expect(isCaCertificate(leaf.certPem)).toBe(false);
    },
  );

  it('makes a CA with keyCertSign, cRLSign and a path length', async () => {
    writeFileSync(s.path('ca.crt'), cas['ec-p256'].certPem);
    const text = s.sh('openssl x509 -in ca.crt -noout -text');
    expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:TRUE/);
    expect(text).toMatch(/Digital Signature, Certificate Sign, CRL Sign/);
    expect(isCaCertificate(cas['ec-p256'].certPem)).toBe(true);
    const sub = await createCertificate({
      subject: 'CN=intermediate, O=test',
      isCa: true,
      pathLength: 0,
      issuer: { cert: cas.rsa.certPem, key: cas.rsa.keyPem },
    });
    writeFileSync(s.path('sub.crt'), sub.certPem);
    expect(s.sh('openssl x509 -in sub.crt -noout -text')).toMatch(/CA:TRUE, pathlen:0/);
    expect(s.sh('openssl verify -CAfile ca-rsa.crt sub.crt')).toBe('sub.crt: OK\n');
  });

  it('makes a KES-style client identity: self-signed Ed25519, clientAuth, like `kes tool identity new`', async () => {
    const id = await createCertificate({
      subject: { commonName: 'MinIO' },
      keyType: 'ed25519',
      clientAuth: true,
      validityDays: 365,
    });
    writeFileSync(s.path('minio.cert'), id.certPem);
    expect(s.sh('openssl x509 -in minio.cert -noout -text')).toMatch(/TLS Web Client Authentication/);
    expect(id.identity).toBe(opensslIdentity(s, 'minio.cert'));
  });

  it('certifies an existing openssl key, encrypted or not, and can encrypt the key it returns', async () => {
    s.sh(
      'openssl ecparam -genkey -name prime256v1 2>/dev/null | openssl ec -aes256 -passout pass:pw -out enc.key 2>/dev/null',
    );
    const made = await createCertificate({
      subject: { commonName: 'x' },
      key: s.read('enc.key'),
      keyPassword: 'pw',
    });
    writeFileSync(s.path('x.crt'), made.certPem);
    s.sh('openssl req -new -x509 -key enc.key -passin pass:pw -out y.crt -subj /CN=y');
    expect(made.identity).toBe(opensslIdentity(s, 'y.crt'));

    const enc = await createCertificate({ subject: { commonName: 'e' }, encryptKeyWith: 'secret' });
    expect(enc.keyPem).toContain('-----BEGIN ENCRYPTED PRIVATE KEY-----');
    expect(loadPrivateKey(enc.keyPem, 'secret').asymmetricKeyType).toBe('ec');
    writeFileSync(s.path('e.key'), enc.keyPem);
    expect(s.sh('openssl pkey -in e.key -passin pass:secret -noout && echo ok')).toBe('ok\n');
  });

  it('refuses bad options and bad issuers with typed errors', async () => {
    const leaf = await createCertificate({ subject: { commonName: 'leaf' } });
    expect((await rejects(createCertificate({ subject: { commonName: 'x' }, dns: ['bad name'] }))).code).toBe(
      'options/invalid',
    );
    expect(
      (await rejects(createCertificate({ subject: { commonName: 'x' }, ip: ['300.1.1.1'] }))).message,
    ).toContain('ip:');
    expect((await rejects(createCertificate({ subject: { commonName: '' } }))).code).toBe('options/invalid');
    expect((await rejects(createCertificate({ subject: { commonName: 'x' }, pathLength: 1 }))).code).toBe(
      'options/invalid',
    );
    expect(
      (await rejects(createCertificate({ subject: { commonName: 'x' }, keyType: 'dsa' as KeyType }))).code,
    ).toBe('options/invalid');
    expect(
      (
        await rejects(
          createCertificate({
            subject: { commonName: 'x' },
            issuer: { cert: leaf.certPem, key: leaf.keyPem },
          }),
        )
      ).code,
    ).toBe('x509/not-ca');
    expect(
      (
        await rejects(
          createCertificate({
            subject: { commonName: 'x' },
            issuer: { cert: cas.rsa.certPem, key: cas.ed25519.keyPem },
          }),
        )
      ).code,
    ).toBe('key/mismatch');
  });

  it.each(TYPES)('a %s server certificate completes a real TLS handshake on 127.0.0.1', async (keyType) => {
    const ca = cas[keyType];
    const server = await createCertificate({
      subject: { commonName: 'localhost' },
      keyType,
      issuer: { cert: ca.certPem, key: ca.keyPem },
      dns: ['localhost'],
      ip: ['127.0.0.1'],
      serverAuth: true,
    });
    const srv = https.createServer({ cert: server.certPem, key: server.keyPem }, (_req, res) =>
      res.end('hello'),
    );
    const port = await listen(srv);
    try {
      // Node's own name check, no helper: the IP SAN carries it.
      for (const maxVersion of ['TLSv1.2', 'TLSv1.3'] as const) {
        const out = await get(port, {
          ca: ca.certPem,
          checkServerIdentity: tls.checkServerIdentity,
          maxVersion,
          agent: false,
        });
        expect(out).toEqual({ ok: true, status: 200, body: 'hello' });
      }
      const wrongCa = await get(port, {
        ca: cas[keyType === 'rsa' ? 'ed25519' : 'rsa'].certPem,
        agent: false,
      });
      expect(wrongCa).toEqual({ ok: false, error: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    } finally {
      await close(srv);
    }
  });
});
