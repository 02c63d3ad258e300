import { createPublicKey, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  API_KEY_CERT_VALIDITY_DAYS,
  apiKeyCertificate,
  apiKeyIdentity,
  identityOf,
  newApiKey,
  parseApiKey,
  TlsIdentityError,
} from './index.js';

// Test vectors of kms-go `kes/apikey_test.go` (ExampleAPIKey_Identity, TestAPIKey_Identity).
const VECTORS = [
  {
    key: 'kes:v1:AGaV6VXHasF0FnaB60WdCOeTZ8eTIDikL4zlN16c8NAs',
    identity: 'ea9826089311fe44d7590408ede9150f7c637b6cab0a91ee6fe1aa5d9fb366f6',
  },
  {
    key: 'kes:v1:ACQpoGqx3rHHjT938Hfu5hVVQJHZWSqVI2Xp1KlYxFVw',
    identity: '0426fa9a04bc2756b92fbe8a97e1a1e07b53ecf04ed33da22c33e5c9faeb8cbb',
  },
  {
    key: 'kes:v1:AMxvd2uV1l5dDSRwuKZxSjuM5BDemlr+685+JAHA1TuJ',
    identity: 'ab785e3b95d80d72cc9c27cb9fde886a0bf9068a69d40e3bd08a54e68c3f2bf7',
  },
];

describe('KES API keys', () => {
  it.each(VECTORS)('$key has the identity kms-go computes', ({ key, identity }) => {
    expect(apiKeyIdentity(key)).toBe(identity);
  });

  it.each([
    ['no prefix', 'AM0F5TP43FYEShMzA42f2drFYGnBOiNx7UH4DK0nm08E', 'key/malformed'],
    ['v1: prefix only', 'v1:AM0F5TP43FYEShMzA42f2drFYGnBOiNx7UH4DK0nm08E', 'key/malformed'],
    ['kes: prefix only', 'kes:AM0F5TP43FYEShMzA42f2drFYGnBOiNx7UH4DK0nm08E', 'key/malformed'],
    [
      'a type byte other than 0 (kms-go vector)',
      'kes:v1:sbDvZFqUPFFwxRS4EkuoEb2nyyInkdKSUEYHXFHeTouW',
      'key/unsupported',
    ],
    ['too short', 'kes:v1:AAAA', 'key/malformed'],
    ['not base64', 'kes:v1:AM0F5TP43FYEShMzA42f2drFYGnBOiNx7UH4DK0nm0!E', 'key/malformed'],
    ['empty', 'kes:v1:', 'key/malformed'],
  ])('rejects %s with %s and no key material in the message', (_name, key, code) => {
    let err: unknown;
    try {
      parseApiKey(key);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TlsIdentityError);
    expect((err as TlsIdentityError).code).toBe(code);
    expect((err as Error).message).not.toContain(key.slice(7, 20) || 'kes:v1:');
  });

  it('new keys are kes:v1: + base64 of 33 bytes starting 0x00, and differ', () => {
    const a = newApiKey();
    const raw = Buffer.from(a.slice(7), 'base64');
    expect(a).toMatch(/^kes:v1:[A-Za-z0-9+/]{44}$/);
    expect(raw[0]).toBe(0);
    expect(raw).toHaveLength(33);
    expect(newApiKey()).not.toBe(a);
  });

  it('the certificate is self-signed, CN = identity, clientAuth, digitalSignature, CA:FALSE, 90 days', async () => {
    const now = new Date('2026-03-01T12:00:00.750Z');
    const { key, identity } = VECTORS[0]!;
    const made = await apiKeyCertificate(key, now);
    const cert = new X509Certificate(made.certPem);
    expect(made.identity).toBe(identity);
    expect(identityOf(made.certPem)).toBe(identity);
    expect(cert.subject).toBe(`CN=${identity}`);
    expect(cert.issuer).toBe(cert.subject);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(cert.publicKey.equals(createPublicKey(parseApiKey(key)))).toBe(true);
    expect(new Date(cert.validFrom).toISOString()).toBe('2026-03-01T12:00:00.000Z');
    const days = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / 86_400_000;
    expect(days).toBe(API_KEY_CERT_VALIDITY_DAYS);
    expect(BigInt(`0x${cert.serialNumber}`) < 1n << 128n).toBe(true);
  });
});
