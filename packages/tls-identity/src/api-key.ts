// KES API keys (KES 2023+, docs/kes-protocol.md#identities): `kes:v1:` + base64(0x00 ‖ 32-byte Ed25519 seed). A
// client turns one into an Ed25519 key and a self-signed clientAuth certificate and then does ordinary
// mTLS; the server never sees the API key, only the certificate, whose identity is SHA-256 of the
// Ed25519 SubjectPublicKeyInfo. Facts from kms-go `kes/apikey.go` (ParseAPIKey, GenerateCertificate):
// type byte 0 = Ed25519, exactly 33 decoded bytes; the certificate is self-signed with a random serial
// below 2^128, subject CN = the identity, NotBefore = now, NotAfter = now + 90 days, keyUsage
// digitalSignature, extKeyUsage clientAuth, basicConstraints present with CA:FALSE. MinIO
// (MINIO_KMS_KES_API_KEY) makes that certificate once at startup and presents it on every handshake.
import { createPrivateKey, type KeyObject, randomBytes } from 'node:crypto';
import { type CreatedCertificate, createCertificate } from './create.js';
import { TlsIdentityError } from './errors.js';
import { identityOfPublicKey } from './identity.js';

/** The prefix of every version-1 KES API key. */
export const API_KEY_PREFIX = 'kes:v1:';

/** Validity of an API key's client certificate, as kms-go makes it: 90 days. */
export const API_KEY_CERT_VALIDITY_DAYS = 90;

// PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410): SEQUENCE { 0, AlgId{1.3.101.112}, OCTET STRING { OCTET STRING seed } }.
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');
const ED25519_TYPE = 0;
const SEED_SIZE = 32;

/** True when `s` has the shape of a KES API key (the `kes:v1:` prefix); says nothing of its validity. */
export function isApiKey(s: string): boolean {
  return s.startsWith(API_KEY_PREFIX);
}

/**
 * The Ed25519 private key of an API key. Errors (`TlsIdentityError`): `key/malformed` when the prefix is
 * missing, the rest is not base64 or does not decode to 33 bytes; `key/unsupported` for a type byte other
 * than 0 (Ed25519). Messages never contain the key. Intermediate buffers holding the seed are zeroed.
 */
export function parseApiKey(apiKey: string): KeyObject {
  if (!isApiKey(apiKey)) {
    throw new TlsIdentityError('key/malformed', `invalid API key: missing "${API_KEY_PREFIX}" prefix`);
  }
  const text = apiKey.slice(API_KEY_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 !== 0) {
    throw new TlsIdentityError('key/malformed', 'invalid API key: not base64');
  }
  const raw = Buffer.from(text, 'base64');
  const der = Buffer.alloc(PKCS8_ED25519.length + SEED_SIZE);
  try {
    if (raw.length !== 1 + SEED_SIZE)
      throw new TlsIdentityError('key/malformed', 'invalid API key: invalid length');
    if (raw[0] !== ED25519_TYPE)
      throw new TlsIdentityError('key/unsupported', 'invalid API key: unsupported type');
    PKCS8_ED25519.copy(der);
    raw.copy(der, PKCS8_ED25519.length, 1);
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } finally {
    der.fill(0);
    raw.fill(0);
  }
}

/** A fresh random API key (Ed25519 type). */
export function newApiKey(): string {
  const raw = Buffer.alloc(1 + SEED_SIZE);
  try {
    raw[0] = ED25519_TYPE;
    randomBytes(SEED_SIZE).copy(raw, 1);
    return API_KEY_PREFIX + raw.toString('base64');
  } finally {
    raw.fill(0);
  }
}

/** The KES identity (64 lowercase hex) of an API key. Errors: as {@link parseApiKey}. */
export function apiKeyIdentity(apiKey: string): string {
  return identityOfPublicKey(parseApiKey(apiKey));
}

/**
 * The self-signed client certificate a KES client presents for an API key (see the file comment for
 * its fields). `now` (default the current time) is the start of validity. Resolves to the certificate
 * and its PKCS#8 private key as PEM, and the identity. Errors: as {@link parseApiKey}.
 */
export async function apiKeyCertificate(apiKey: string, now: Date = new Date()): Promise<CreatedCertificate> {
  const key = parseApiKey(apiKey);
  const identity = identityOfPublicKey(key);
  const notBefore = new Date(Math.floor(now.getTime() / 1000) * 1000);
  return createCertificate({
    subject: { commonName: identity },
    key,
    keyUsages: ['digitalSignature'],
    clientAuth: true,
    notBefore,
    notAfter: new Date(notBefore.getTime() + API_KEY_CERT_VALIDITY_DAYS * 86_400_000),
    // the default serial: 16 random bytes, positive, below 2^128 as kms-go draws it
  });
}
