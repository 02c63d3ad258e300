import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CryptoError } from './errors.js';
import { hchacha20 } from './hchacha20.js';

const hex = (h: string) => Buffer.from(h.replace(/\s+/g, ''), 'hex');

/**
 * Independent reference: one ChaCha20 block from OpenSSL is rounds(state) + state, with state words
 * 12–15 = the 16-byte IV (counter ‖ nonce). Subtracting the known input words again yields
 * HChaCha20's output words.
 */
function hchacha20ViaOpenSsl(key: Buffer, input: Buffer): Buffer {
  const block = createCipheriv('chacha20', key, input).update(Buffer.alloc(64));
  const sigma = Buffer.from('expand 32-byte k', 'latin1');
  const out = Buffer.alloc(32);
  for (let i = 0; i < 4; i++) {
    out.writeUInt32LE((block.readUInt32LE(4 * i) - sigma.readUInt32LE(4 * i)) >>> 0, 4 * i);
    out.writeUInt32LE((block.readUInt32LE(48 + 4 * i) - input.readUInt32LE(4 * i)) >>> 0, 16 + 4 * i);
  }
  return out;
}

describe('hchacha20', () => {
  it.each([
    [
      'draft-irtf-cfrg-xchacha-03 §2.2.1',
      '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f',
      '000000090000004a0000000031415927',
      '82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc',
    ],
  ])('published vector: %s', (_name, key, nonce, want) => {
    expect(hchacha20(hex(key), hex(nonce)).toString('hex')).toBe(want);
  });

  it('agrees with the ChaCha20 block function of OpenSSL on random inputs', () => {
    for (let i = 0; i < 200; i++) {
      const key = randomBytes(32);
      const input = randomBytes(16);
      expect(hchacha20(key, input).toString('hex')).toBe(hchacha20ViaOpenSsl(key, input).toString('hex'));
    }
  });

  it('reads only the window of Uint8Array views', () => {
    const key = randomBytes(40);
    const input = randomBytes(20);
    expect(hchacha20(key.subarray(3, 35), input.subarray(2, 18))).toEqual(
      hchacha20(Buffer.from(key.subarray(3, 35)), Buffer.from(input.subarray(2, 18))),
    );
  });

  it.each([
    ['key too short', 31, 16],
    ['key too long', 33, 16],
    ['input too short', 32, 12],
    ['input too long', 32, 24],
  ])('rejects %s', (_name, keyLen, inputLen) => {
    expect(() => hchacha20(Buffer.alloc(keyLen), Buffer.alloc(inputLen))).toThrow(CryptoError);
  });
});
