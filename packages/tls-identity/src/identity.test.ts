import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { opensslIdentity, type Scratch, scratch } from '../test/openssl.js';
import {
  identityOf,
  identityOfPublicKey,
  isCaCertificate,
  loadPrivateKey,
  TlsIdentityError,
} from './index.js';

// Certificates made exactly as the guide makes them (§2 and §4), plus RSA and Ed25519 variants.
const VARIANTS = [
  {
    name: 'EC P-256 (the guide)',
    key: 'openssl ecparam -genkey -name prime256v1 | openssl ec -out kes.key',
  },
  { name: 'RSA 2048', key: 'openssl genrsa -out kes.key 2048' },
  { name: 'RSA 4096', key: 'openssl genrsa -out kes.key 4096' },
  { name: 'Ed25519', key: 'openssl genpkey -algorithm ed25519 -out kes.key' },
];

describe('identityOf', () => {
  let s: Scratch;
  beforeAll(() => {
    s = scratch();
  });
  afterAll(() => s.remove());

  it.each(VARIANTS)('equals sha256(SPKI DER) from openssl for $name', ({ key }) => {
    s.sh(`rm -f kes.key kes.cert && ${key} 2>/dev/null`);
    s.sh(
      'openssl req -new -x509 -days 30 -key kes.key -out kes.cert -subj "/C=/ST=/L=/O=/CN=localhost" 2>/dev/null',
    );
    s.sh('openssl x509 -in kes.cert -outform DER -out kes.der');
    const want = opensslIdentity(s, 'kes.cert');
    expect(want).toMatch(/^[0-9a-f]{64}$/);

    const pem = s.read('kes.cert');
    expect(identityOf(pem)).toBe(want);
    expect(identityOf(Buffer.from(pem))).toBe(want);
    expect(identityOf(s.bytes('kes.der'))).toBe(want);
    expect(identityOf(new Uint8Array(s.bytes('kes.der')))).toBe(want);
    expect(identityOf(new X509Certificate(pem))).toBe(want);
    expect(identityOfPublicKey(loadPrivateKey(s.read('kes.key')))).toBe(want);
  });

  it('ignores everything but the key: two certificates for one key share an identity', () => {
    s.sh('openssl ecparam -genkey -name prime256v1 2>/dev/null | openssl ec -out same.key 2>/dev/null');
    s.sh('openssl req -new -x509 -days 1 -key same.key -out a.cert -subj "/CN=a" 2>/dev/null');
    s.sh('openssl req -new -x509 -days 900 -key same.key -out b.cert -subj "/O=x/CN=b" 2>/dev/null');
    expect(identityOf(s.read('a.cert'))).toBe(identityOf(s.read('b.cert')));
  });

  it('uses the first certificate (the leaf) of a chain file', () => {
    s.sh(
      'openssl genpkey -algorithm ed25519 -out l.key && openssl req -new -x509 -key l.key -out l.cert -subj /CN=l',
    );
    s.sh(
      'openssl genpkey -algorithm ed25519 -out r.key && openssl req -new -x509 -key r.key -out r.cert -subj /CN=r',
    );
    expect(identityOf(s.read('l.cert') + s.read('r.cert'))).toBe(opensslIdentity(s, 'l.cert'));
  });

  it('tells CA certificates from leaves as Go does (basicConstraints cA)', () => {
    // openssl req -x509 writes basicConstraints CA:TRUE by default (its v3_ca section).
    expect(isCaCertificate(s.read('l.cert'))).toBe(true);
    s.sh('openssl req -new -x509 -key l.key -out leaf.cert -subj /CN=leaf -addext basicConstraints=CA:FALSE');
    expect(isCaCertificate(s.read('leaf.cert'))).toBe(false);
  });

  it.each([
    ['empty input', '', 'pem/empty'],
    ['text without PEM', 'hello world', 'pem/no-certificate'],
    [
      'a key instead of a certificate',
      '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n',
      'pem/no-certificate',
    ],
    ['a BEGIN without END', '-----BEGIN CERTIFICATE-----\nMIIB\n', 'pem/malformed'],
    [
      'a body that is not base64',
      '-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n',
      'pem/malformed',
    ],
    [
      'base64 that is not a certificate',
      '-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n',
      'x509/malformed',
    ],
  ])('rejects %s with a typed error', (_, input, code) => {
    let err: unknown;
    try {
      identityOf(input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TlsIdentityError);
    expect((err as TlsIdentityError).code).toBe(code);
  });

  it('rejects truncated DER and DER with trailing bytes', () => {
    const der = s.bytes('kes.der');
    for (const bad of [
      der.subarray(0, der.length - 1),
      der.subarray(0, 10),
      Buffer.concat([der, Buffer.from([0])]),
    ]) {
      expect(() => identityOf(bad)).toThrow(expect.objectContaining({ code: 'x509/malformed' }));
    }
    // Indefinite length (BER, not DER) is refused too.
    const ber = Buffer.from(der);
    ber[1] = 0x80;
    expect(() => identityOf(ber)).toThrow(expect.objectContaining({ code: 'x509/malformed' }));
  });
});
