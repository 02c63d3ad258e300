import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { codeAndMessage } from '../test/crypto-error.js';
import { barrierDecrypt, barrierEncrypt, barrierTerm } from './barrier.js';
import { CryptoError } from './errors.js';

const hex = (h: string) => Buffer.from(h.replace(/\s+/g, ''), 'hex');

/** A barrier value built by hand from the spec's layout, independent of barrierEncrypt. */
function handMade(key: Buffer, term: number, version: number, nonce: Buffer, aad: Buffer, plaintext: Buffer) {
  const algorithm = `aes-${key.length * 8}-gcm` as 'aes-256-gcm';
  const gcm = createCipheriv(algorithm, key, nonce);
  gcm.setAAD(aad);
  const body = Buffer.concat([gcm.update(plaintext), gcm.final()]);
  const header = Buffer.alloc(5);
  header.writeUInt32BE(term);
  header[4] = version;
  return Buffer.concat([header, nonce, body, gcm.getAuthTag()]);
}

const KEY = hex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
const NONCE = hex('cafebabefacedbaddecaf888');

describe('barrier format', () => {
  it.each([
    ['v2, AES-256, path as AAD', KEY, 1, 2, 'core/keyring', 'keyring-json'],
    ['v2, AES-128', KEY.subarray(0, 16), 7, 2, 'logical/abc/secret', 'x'],
    ['v2, AES-192', KEY.subarray(0, 24), 0xffffffff, 2, 'sys/token/id/h', ''],
    ['v1, no AAD', KEY, 3, 1, 'core/master', 'root key'],
    ['v2, empty path = no AAD', KEY, 2, 2, '', 'value'],
  ])('decrypts a hand-built value: %s', (_name, key, term, version, path, text) => {
    const aad = version === 2 ? Buffer.from(path) : Buffer.alloc(0);
    const blob = handMade(Buffer.from(key), term, version, NONCE, aad, Buffer.from(text));
    expect(barrierTerm(blob)).toBe(term);
    expect(barrierDecrypt((t) => (t === term ? key : undefined), path, blob).toString()).toBe(text);
  });

  it('writes term ‖ 0x02 ‖ nonce ‖ ciphertext ‖ tag, 33 bytes of overhead', () => {
    const blob = barrierEncrypt(KEY, 0x01020304, 'core/keyring', Buffer.from('hello'));
    expect(blob.length).toBe(5 + 33);
    expect([...blob.subarray(0, 5)]).toEqual([1, 2, 3, 4, 2]);
    // Rebuild with the same nonce independently: must be byte-identical.
    const nonce = blob.subarray(5, 17);
    expect(
      handMade(KEY, 0x01020304, 2, Buffer.from(nonce), Buffer.from('core/keyring'), Buffer.from('hello')),
    ).toEqual(blob);
  });

  it('uses a fresh nonce each time', () => {
    const a = barrierEncrypt(KEY, 1, 'p', Buffer.from('same'));
    const b = barrierEncrypt(KEY, 1, 'p', Buffer.from('same'));
    expect(a.subarray(5, 17)).not.toEqual(b.subarray(5, 17));
  });
});

describe('barrier round trip and term selection', () => {
  it.each([16, 24, 32])('round trip with a %i-byte key', (size) => {
    const key = randomBytes(size);
    for (const len of [0, 1, 100, 70_000]) {
      const plaintext = randomBytes(len);
      const blob = barrierEncrypt(key, 5, 'logical/uuid/data', plaintext);
      expect(barrierDecrypt(() => key, 'logical/uuid/data', blob).equals(plaintext)).toBe(true);
    }
  });

  it('selects the key by term across a rotation', () => {
    const keyring = new Map([
      [1, randomBytes(32)],
      [2, randomBytes(32)],
      [3, randomBytes(32)],
    ]);
    const blobs = [...keyring].map(([term, key]) =>
      barrierEncrypt(key, term, 'a/b', Buffer.from(`t${term}`)),
    );
    for (const [i, blob] of blobs.entries()) {
      expect(barrierTerm(blob)).toBe(i + 1);
      expect(barrierDecrypt((t) => keyring.get(t), 'a/b', blob).toString()).toBe(`t${i + 1}`);
    }
  });

  it('v1 values may move between paths; v2 values may not (Vault MoveIntegrity tests)', () => {
    const v1 = handMade(KEY, 1, 1, NONCE, Buffer.alloc(0), Buffer.from('test'));
    expect(barrierDecrypt(() => KEY, 'moved', v1).toString()).toBe('test');
    const v2 = barrierEncrypt(KEY, 1, 'test', Buffer.from('test'));
    expect(codeAndMessage(() => barrierDecrypt(() => KEY, 'moved', v2))[0]).toBe(
      'barrier/authentication-failed',
    );
  });
});

describe('barrier errors', () => {
  const key = randomBytes(32);
  const blob = barrierEncrypt(key, 9, 'core/keyring', Buffer.from('{"Keys":[]}'));
  const flipped = (i: number) => {
    const copy = Buffer.from(blob);
    copy[i] = copy[i]! ^ 0x80;
    return copy;
  };
  const keys = (t: number) => (t === 9 ? key : undefined);
  const authFailed = [
    'barrier/authentication-failed',
    'decryption failed: cipher: message authentication failed',
  ];

  it.each<[string, () => unknown, string[]]>([
    ['wrong path', () => barrierDecrypt(keys, 'core/master', blob), authFailed],
    ['path differs in case', () => barrierDecrypt(keys, 'core/Keyring', blob), authFailed],
    ['wrong key', () => barrierDecrypt(() => randomBytes(32), 'core/keyring', blob), authFailed],
    ['flipped nonce byte', () => barrierDecrypt(keys, 'core/keyring', flipped(5)), authFailed],
    [
      'flipped ciphertext byte (Vault Integrity test)',
      () => barrierDecrypt(keys, 'core/keyring', flipped(20)),
      authFailed,
    ],
    ['flipped tag byte', () => barrierDecrypt(keys, 'core/keyring', flipped(blob.length - 1)), authFailed],
    [
      'v2 relabelled as v1',
      () =>
        barrierDecrypt(
          keys,
          'core/keyring',
          Buffer.concat([blob.subarray(0, 4), Buffer.from([1]), blob.subarray(5)]),
        ),
      authFailed,
    ],
    [
      'one byte cut off',
      () => barrierDecrypt(keys, 'core/keyring', blob.subarray(0, blob.length - 1)),
      authFailed,
    ],
    [
      'unknown term',
      () => barrierDecrypt(keys, 'core/keyring', flipped(0)),
      ['barrier/unknown-term', `no decryption key available for term ${0x80000009}`],
    ],
    [
      'unknown version byte',
      () =>
        barrierDecrypt(
          keys,
          'core/keyring',
          Buffer.concat([blob.subarray(0, 4), Buffer.from([3]), blob.subarray(5)]),
        ),
      ['barrier/invalid-ciphertext', 'version bytes mis-match'],
    ],
    [
      'empty',
      () => barrierDecrypt(keys, 'p', Buffer.alloc(0)),
      ['barrier/invalid-ciphertext', 'empty ciphertext'],
    ],
    [
      '3 bytes',
      () => barrierDecrypt(keys, 'p', blob.subarray(0, 3)),
      ['barrier/invalid-ciphertext', 'invalid ciphertext term'],
    ],
    [
      'header only',
      () => barrierDecrypt(keys, 'p', blob.subarray(0, 5)),
      ['barrier/invalid-ciphertext', 'invalid cipher length'],
    ],
    [
      'shorter than nonce + tag',
      () => barrierDecrypt(keys, 'p', blob.subarray(0, 32)),
      ['barrier/invalid-ciphertext', 'invalid cipher length'],
    ],
    [
      'key for term has a bad size',
      () => barrierDecrypt(() => randomBytes(20), 'p', blob),
      ['barrier/invalid-key', 'key size must be 16, 24 or 32, got 20'],
    ],
    [
      'encrypt with a 31-byte key',
      () => barrierEncrypt(randomBytes(31), 1, 'p', Buffer.alloc(1)),
      ['barrier/invalid-key', 'key size must be 16, 24 or 32, got 31'],
    ],
    [
      'encrypt with a negative term',
      () => barrierEncrypt(key, -1, 'p', Buffer.alloc(1)),
      ['barrier/invalid-term', 'term must be a uint32, got -1'],
    ],
    [
      'encrypt with term 2^32',
      () => barrierEncrypt(key, 2 ** 32, 'p', Buffer.alloc(1)),
      ['barrier/invalid-term', `term must be a uint32, got ${2 ** 32}`],
    ],
    [
      'barrierTerm of 2 bytes',
      () => barrierTerm(Buffer.from([0, 1])),
      ['barrier/invalid-ciphertext', 'invalid ciphertext term'],
    ],
  ])('%s', (_name, fn, want) => {
    expect(codeAndMessage(fn)).toEqual(want);
  });

  it('every truncation of a value fails with a CryptoError', () => {
    for (let len = 0; len < blob.length; len++) {
      expect(() => barrierDecrypt(keys, 'core/keyring', blob.subarray(0, len))).toThrow(CryptoError);
    }
  });
});
