// KES API keys (KES 2023+, spec §3.1): `kes:v1:` + base64(0x00 ‖ 32-byte Ed25519 seed). A client
// turns one into an Ed25519 key and a self-signed clientAuth certificate on the fly; the server sees
// ordinary mTLS, and the identity is SHA-256 of the Ed25519 SubjectPublicKeyInfo.
import { createPrivateKey, createPublicKey, type KeyObject, randomBytes } from 'node:crypto';
import { createCertificate, identityOfPublicKey } from '@kms-chain/tls-identity';
import { CliError } from './args.js';

const PREFIX = 'kes:v1:';
// PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410): SEQUENCE { 0, AlgId{1.3.101.112}, OCTET STRING { OCTET STRING seed } }.
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');

export function isApiKey(s: string): boolean {
  return s.startsWith(PREFIX);
}

/** The Ed25519 private key of an API key; CliError when it is malformed. */
export function apiKeyPrivateKey(apiKey: string): KeyObject {
  if (!isApiKey(apiKey)) throw new CliError('invalid API key: missing "kes:v1:" prefix');
  const raw = Buffer.from(apiKey.slice(PREFIX.length), 'base64');
  if (raw.length !== 33 || raw[0] !== 0)
    throw new CliError('invalid API key: unsupported key type or length');
  const der = Buffer.concat([PKCS8_ED25519, raw.subarray(1)]);
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } finally {
    der.fill(0);
    raw.fill(0);
  }
}

/** A fresh API key. */
export function newApiKey(): string {
  const raw = Buffer.concat([Buffer.from([0]), randomBytes(32)]);
  try {
    return PREFIX + raw.toString('base64');
  } finally {
    raw.fill(0);
  }
}

export function apiKeyIdentity(apiKey: string): string {
  return identityOfPublicKey(createPublicKey(apiKeyPrivateKey(apiKey)));
}

/** The self-signed client certificate a KES client presents for an API key (CN = identity, 90 days). */
export async function apiKeyCertificate(
  apiKey: string,
): Promise<{ certPem: string; keyPem: string; identity: string }> {
  const key = apiKeyPrivateKey(apiKey);
  const identity = identityOfPublicKey(createPublicKey(key));
  const cert = await createCertificate({
    subject: { commonName: identity },
    key,
    clientAuth: true,
    validityDays: 90,
  });
  return { certPem: cert.certPem, keyPem: cert.keyPem, identity };
}
