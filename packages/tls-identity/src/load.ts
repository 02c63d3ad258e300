// Loading certificates and private keys from PEM, with typed errors that never echo the input.
import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { TlsIdentityError } from './errors.js';
import { asText, type PemBlock, pemBlocks } from './pem.js';

const PRIVATE_KEY_LABELS = new Set([
  'PRIVATE KEY',
  'RSA PRIVATE KEY',
  'EC PRIVATE KEY',
  'ENCRYPTED PRIVATE KEY',
]);
/** Node's `asymmetricKeyDetails.namedCurve` names of the EC curves we accept. */
const EC_CURVES = new Set(['prime256v1', 'secp384r1', 'secp521r1']);

function isBlank(text: string): boolean {
  return text.trim() === '';
}

/**
 * Parses every `CERTIFICATE` block in `pem`, keeping their order (leaf first for a chain file, as
 * TLS expects). Other blocks (keys, parameters) and text between blocks are ignored. A Buffer or
 * Uint8Array that holds a single DER certificate (first byte 0x30, no PEM armour) is also accepted.
 *
 * Errors (`TlsIdentityError`): `pem/empty` for empty input; `pem/no-certificate` when no certificate
 * block is found; `pem/malformed` for a broken block; `x509/malformed` (naming the block's 1-based
 * position) when a block's DER is not a certificate.
 */
export function loadCertificates(pem: string | Uint8Array): X509Certificate[] {
  if (typeof pem !== 'string' && pem.length > 0 && pem[0] === 0x30) {
    const text = Buffer.from(pem).toString('latin1');
    if (!text.includes('-----BEGIN ')) return [parseCertificateDer(pem, 1)];
  }
  const text = asText(pem);
  if (isBlank(text)) throw new TlsIdentityError('pem/empty', 'certificate PEM is empty');
  const blocks = pemBlocks(text).filter((b) => b.label === 'CERTIFICATE');
  if (blocks.length === 0) {
    throw new TlsIdentityError('pem/no-certificate', 'no "CERTIFICATE" PEM block found');
  }
  return blocks.map((b, i) => parseCertificateDer(b.der, i + 1));
}

function parseCertificateDer(der: Uint8Array, position: number): X509Certificate {
  try {
    return new X509Certificate(der);
  } catch (cause) {
    throw new TlsIdentityError(
      'x509/malformed',
      `certificate #${position} is not a valid X.509 certificate`,
      {
        cause,
      },
    );
  }
}

/**
 * The first private-key block of `pem` (see {@link loadPrivateKey} for the labels), still encrypted
 * if it was. Errors: `pem/empty`, `pem/malformed`, `pem/no-private-key`.
 */
export function privateKeyBlock(pem: string | Uint8Array): PemBlock {
  const text = asText(pem);
  if (isBlank(text)) throw new TlsIdentityError('pem/empty', 'private key PEM is empty');
  const block = pemBlocks(text).find((b) => PRIVATE_KEY_LABELS.has(b.label));
  if (!block) {
    throw new TlsIdentityError(
      'pem/no-private-key',
      'no private key PEM block found (expected PRIVATE KEY, RSA PRIVATE KEY, EC PRIVATE KEY or ENCRYPTED PRIVATE KEY)',
    );
  }
  return block;
}

function isEncrypted(block: PemBlock): boolean {
  return block.label === 'ENCRYPTED PRIVATE KEY' || /ENCRYPTED/i.test(block.headers['Proc-Type'] ?? '');
}

/**
 * Parses the first private-key block in `pem` into a Node `KeyObject`. Accepted encodings: PKCS#8
 * (`PRIVATE KEY`), encrypted PKCS#8 (`ENCRYPTED PRIVATE KEY`), PKCS#1 (`RSA PRIVATE KEY`) and SEC1
 * (`EC PRIVATE KEY`), the latter two also in OpenSSL's legacy encrypted form (`Proc-Type: 4,ENCRYPTED`).
 * Other blocks before or after it (`EC PARAMETERS`, certificates) are skipped, so a combined
 * cert+key file works. Accepted key types: RSA, EC on P-256/P-384/P-521, Ed25519. `password` is
 * used only when the key is encrypted.
 *
 * Errors (`TlsIdentityError`; messages never contain key bytes or the password): `pem/empty`,
 * `pem/malformed`, `pem/no-private-key`, `key/password-required` (encrypted, no password),
 * `key/wrong-password` (encrypted and decryption failed — a wrong password or a corrupted body),
 * `key/malformed`, `key/unsupported` (e.g. DSA, X25519, P-224, RSA-PSS).
 */
export function loadPrivateKey(pem: string | Uint8Array, password?: string): KeyObject {
  const block = privateKeyBlock(pem);
  const encrypted = isEncrypted(block);
  if (encrypted && (password === undefined || password === '')) {
    throw new TlsIdentityError(
      'key/password-required',
      'the private key is encrypted and no password was given',
    );
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(
      encrypted
        ? { key: block.text, format: 'pem', passphrase: password }
        : { key: block.text, format: 'pem' },
    );
  } catch (cause) {
    if (encrypted) {
      throw new TlsIdentityError(
        'key/wrong-password',
        'the private key could not be decrypted: wrong password or corrupted key',
        { cause },
      );
    }
    throw new TlsIdentityError('key/malformed', `the "${block.label}" block is not a valid private key`, {
      cause,
    });
  }
  assertSupportedKey(key);
  return key;
}

/**
 * Throws `key/unsupported` unless `key` (private or public) is RSA, EC on P-256/P-384/P-521, or
 * Ed25519 — the key types KES, MinIO and Vault use for TLS.
 */
export function assertSupportedKey(key: KeyObject): void {
  const type = key.asymmetricKeyType;
  if (type === 'rsa' || type === 'ed25519') return;
  if (type === 'ec' && EC_CURVES.has(key.asymmetricKeyDetails?.namedCurve ?? '')) return;
  const detail =
    type === 'ec' ? `EC curve ${key.asymmetricKeyDetails?.namedCurve ?? 'unknown'}` : (type ?? 'unknown');
  throw new TlsIdentityError(
    'key/unsupported',
    `unsupported key type ${detail} (want RSA, EC P-256/P-384/P-521 or Ed25519)`,
  );
}

/** A certificate chain and the private key of its leaf, as returned by {@link loadKeyPair}. */
export interface KeyPair {
  /** The chain in file order; `[0]` is the leaf the key belongs to. */
  certificates: X509Certificate[];
  privateKey: KeyObject;
}

/**
 * Loads a certificate chain and its private key and checks that the key belongs to the first
 * certificate. Accepts PEM text/bytes, or already loaded objects. Errors: everything
 * {@link loadCertificates} and {@link loadPrivateKey} throw, plus `key/mismatch` when the key is not
 * the leaf certificate's key.
 */
export function loadKeyPair(opts: {
  cert: string | Uint8Array | X509Certificate[];
  key: string | Uint8Array | KeyObject;
  password?: string;
}): KeyPair {
  const certificates = Array.isArray(opts.cert) ? opts.cert : loadCertificates(opts.cert);
  const privateKey =
    typeof opts.key === 'string' || opts.key instanceof Uint8Array
      ? loadPrivateKey(opts.key, opts.password)
      : opts.key;
  const leaf = certificates[0];
  if (!leaf) throw new TlsIdentityError('pem/no-certificate', 'no certificate given');
  if (privateKey.type !== 'private') throw new TlsIdentityError('key/malformed', 'expected a private key');
  let matches = false;
  try {
    matches = leaf.checkPrivateKey(privateKey);
  } catch {
    // checkPrivateKey throws for mismatched algorithms on some OpenSSL versions: a mismatch too.
  }
  if (!matches) {
    throw new TlsIdentityError(
      'key/mismatch',
      `the private key does not belong to the certificate "${leaf.subject.replace(/\n/g, ', ')}"`,
    );
  }
  return { certificates, privateKey };
}
