import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { opensslIdentity, type Scratch, scratch } from '../test/openssl.js';
import {
  identityOf,
  identityOfPublicKey,
  loadCertificates,
  loadKeyPair,
  loadPrivateKey,
  TlsIdentityError,
} from './index.js';

const PASSWORD = 'correct horse battery staple';

function caught(fn: () => unknown): TlsIdentityError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TlsIdentityError);
    return err as TlsIdentityError;
  }
  throw new Error('expected a TlsIdentityError, nothing was thrown');
}

/** Asserts an error message carries no 12-character run of the PEM's base64 body nor the password. */
function expectNoSecrets(err: Error, pem: string): void {
  const body = pem
    .split('\n')
    .filter((l) => !l.startsWith('-----') && !l.includes(':'))
    .join('');
  for (let i = 0; i + 12 <= body.length; i += 6) expect(err.message).not.toContain(body.slice(i, i + 12));
  expect(err.message).not.toContain(PASSWORD);
  expect(String(err.stack)).not.toContain(PASSWORD);
}

// Every key kind openssl makes, with the label we expect in the file and the key type Node reports.
const KEYS = [
  [
    'guide EC (SEC1)',
    'openssl ecparam -genkey -name prime256v1 | openssl ec -out k.pem',
    'EC PRIVATE KEY',
    'ec',
  ],
  [
    'EC with EC PARAMETERS block first',
    'openssl ecparam -genkey -name prime256v1 -out k.pem',
    'EC PARAMETERS',
    'ec',
  ],
  [
    'EC PKCS#8',
    'openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out k.pem',
    'PRIVATE KEY',
    'ec',
  ],
  [
    'EC P-384',
    'openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out k.pem',
    'PRIVATE KEY',
    'ec',
  ],
  ['RSA PKCS#1', 'openssl genrsa -traditional -out k.pem 2048', 'RSA PRIVATE KEY', 'rsa'],
  ['RSA PKCS#8', 'openssl genrsa -out k.pem 2048', 'PRIVATE KEY', 'rsa'],
  ['Ed25519 PKCS#8', 'openssl genpkey -algorithm ed25519 -out k.pem', 'PRIVATE KEY', 'ed25519'],
  [
    'encrypted PKCS#8 (EC)',
    `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -aes-256-cbc -pass "pass:${PASSWORD}" -out k.pem`,
    'ENCRYPTED PRIVATE KEY',
    'ec',
  ],
  [
    'encrypted PKCS#8 (Ed25519)',
    `openssl genpkey -algorithm ed25519 -aes-256-cbc -pass "pass:${PASSWORD}" -out k.pem`,
    'ENCRYPTED PRIVATE KEY',
    'ed25519',
  ],
  [
    'encrypted PKCS#8 (RSA via pkcs8 -topk8)',
    `openssl genrsa 2048 | openssl pkcs8 -topk8 -v2 aes-128-cbc -passout "pass:${PASSWORD}" -out k.pem`,
    'ENCRYPTED PRIVATE KEY',
    'rsa',
  ],
  [
    'legacy encrypted SEC1 (Proc-Type: 4,ENCRYPTED)',
    `openssl ecparam -genkey -name prime256v1 | openssl ec -aes256 -passout "pass:${PASSWORD}" -out k.pem`,
    'EC PRIVATE KEY',
    'ec',
  ],
  [
    'legacy encrypted PKCS#1',
    `openssl genrsa -traditional 2048 | openssl rsa -traditional -aes256 -passout "pass:${PASSWORD}" -out k.pem`,
    'RSA PRIVATE KEY',
    'rsa',
  ],
] as const;

describe('loadPrivateKey', () => {
  let s: Scratch;
  beforeAll(() => {
    s = scratch();
  });
  afterAll(() => s.remove());

  it.each(KEYS)('loads %s', (_, cmd, label, type) => {
    s.sh(`rm -f k.pem c.pem && (${cmd}) 2>/dev/null`);
    const pem = s.read('k.pem');
    expect(pem).toContain(`-----BEGIN ${label}-----`);
    const encrypted = pem.includes('ENCRYPTED');
    const key = loadPrivateKey(pem, encrypted ? PASSWORD : undefined);
    expect(key.type).toBe('private');
    expect(key.asymmetricKeyType).toBe(type);
    // The key is the one openssl certifies.
    const pass = encrypted ? `-passin "pass:${PASSWORD}"` : '';
    s.sh(`openssl req -new -x509 -key k.pem ${pass} -out c.pem -subj /CN=k 2>/dev/null`);
    expect(identityOfPublicKey(key)).toBe(opensslIdentity(s, 'c.pem'));
    expect(
      loadKeyPair({ cert: s.read('c.pem'), key: Buffer.from(pem), password: PASSWORD }).privateKey.type,
    ).toBe('private');

    if (encrypted) {
      const missing = caught(() => loadPrivateKey(pem));
      expect(missing.code).toBe('key/password-required');
      const wrong = caught(() => loadPrivateKey(pem, 'not the password'));
      expect(wrong.code).toBe('key/wrong-password');
      expect(wrong.message).toMatch(/wrong password/);
      expectNoSecrets(wrong, pem);
      expect(wrong.message).not.toContain('not the password');
    }
  });

  it('loads the key from a combined cert+key file', () => {
    s.sh(
      'openssl genpkey -algorithm ed25519 -out k.pem && openssl req -new -x509 -key k.pem -out c.pem -subj /CN=k',
    );
    const combined = s.read('c.pem') + s.read('k.pem');
    const pair = loadKeyPair({ cert: combined, key: combined });
    expect(identityOf(pair.certificates[0]!)).toBe(opensslIdentity(s, 'c.pem'));
  });

  it.each([
    ['empty input', '   \n', 'pem/empty'],
    ['no PEM at all', 'not a key', 'pem/no-private-key'],
    [
      'only a public key',
      '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n',
      'pem/no-private-key',
    ],
    ['a cut-off block', '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI', 'pem/malformed'],
    [
      'a body that is not base64',
      '-----BEGIN PRIVATE KEY-----\n#$%^\n-----END PRIVATE KEY-----\n',
      'pem/malformed',
    ],
    [
      'base64 that is not a key',
      '-----BEGIN PRIVATE KEY-----\nMAMCAQE=\n-----END PRIVATE KEY-----\n',
      'key/malformed',
    ],
  ])('rejects %s', (_, pem, code) => {
    expect(caught(() => loadPrivateKey(pem)).code).toBe(code);
  });

  it('rejects a corrupted key body without echoing it', () => {
    s.sh('openssl genpkey -algorithm ed25519 -out k.pem');
    const pem = s.read('k.pem').replace(/\n([A-Za-z0-9+/]{8})/, '\nAAAAAAAA');
    const err = caught(() => loadPrivateKey(pem));
    expect(err.code).toBe('key/malformed');
    expectNoSecrets(err, pem);
  });

  it.each([
    ['X25519', 'openssl genpkey -algorithm X25519 -out u.pem'],
    ['secp256k1', 'openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:secp256k1 -out u.pem'],
    [
      'DSA',
      'openssl genpkey -genparam -algorithm DSA -pkeyopt dsa_paramgen_bits:1024 -out p.pem && openssl genpkey -paramfile p.pem -out u.pem',
    ],
  ])('rejects an unsupported %s key', (_, cmd) => {
    s.sh(`(${cmd}) 2>/dev/null`);
    const err = caught(() => loadPrivateKey(s.read('u.pem')));
    expect(err.code).toBe('key/unsupported');
  });
});

describe('loadCertificates', () => {
  let s: Scratch;
  beforeAll(() => {
    s = scratch();
    for (const n of ['a', 'b', 'c']) {
      s.sh(
        `openssl genpkey -algorithm ed25519 -out ${n}.key && openssl req -new -x509 -key ${n}.key -out ${n}.crt -subj /CN=${n}`,
      );
    }
  });
  afterAll(() => s.remove());

  it('keeps the chain order and skips other blocks and text', () => {
    const pem = `${s.read('c.crt')}# comment\n${s.read('a.key')}${s.read('a.crt')}\n\n${s.read('b.crt')}`;
    const certs = loadCertificates(pem);
    expect(certs.map((c) => c.subject)).toEqual(['CN=c', 'CN=a', 'CN=b']);
    expect(loadCertificates(Buffer.from(pem))).toHaveLength(3);
  });

  it('accepts a DER certificate in a Buffer and CRLF line endings', () => {
    s.sh('openssl x509 -in a.crt -outform DER -out a.der');
    expect(loadCertificates(s.bytes('a.der'))[0]!.subject).toBe('CN=a');
    expect(loadCertificates(s.read('b.crt').replace(/\n/g, '\r\n'))[0]!.subject).toBe('CN=b');
  });

  it('names the broken certificate by position', () => {
    const bad = '-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n';
    const err = caught(() => loadCertificates(s.read('a.crt') + bad));
    expect(err.code).toBe('x509/malformed');
    expect(err.message).toContain('#2');
  });

  it('reports a key that does not belong to the certificate', () => {
    const err = caught(() => loadKeyPair({ cert: s.read('a.crt'), key: s.read('b.key') }));
    expect(err.code).toBe('key/mismatch');
    expect(err.message).toContain('CN=a');
    expectNoSecrets(err, s.read('b.key'));
    // A different key type is a mismatch too, not a crash.
    s.sh('openssl ecparam -genkey -name prime256v1 2>/dev/null | openssl ec -out ec.key 2>/dev/null');
    expect(caught(() => loadKeyPair({ cert: s.read('a.crt'), key: s.read('ec.key') })).code).toBe(
      'key/mismatch',
    );
  });
});
