import { randomBytes } from 'node:crypto';
import { openDataKey } from '@kms-chain/crypto';
import { describe, expect, it } from 'vitest';
import { StaticKeyKms } from './static-key.js';

describe('StaticKeyKms', () => {
  const master = randomBytes(32);
  const kms = new StaticKeyKms('my-key', master);
  const ctx = Buffer.from('{"bucket":"bucket/object"}');

  it('makes 76-byte KES-format data keys bound to the context', async () => {
    const dk = await kms.generateKey('my-key', ctx);
    expect(dk.plaintext).toHaveLength(32);
    expect(dk.ciphertext).toHaveLength(76);
    expect(openDataKey(master, dk.ciphertext, ctx).equals(dk.plaintext)).toBe(true);
    expect((await kms.decrypt('my-key', dk.ciphertext, ctx)).equals(dk.plaintext)).toBe(true);
    await expect(kms.decrypt('my-key', dk.ciphertext, Buffer.from('{}'))).rejects.toMatchObject({
      kind: 'not-authentic',
    });
    expect((await kms.generateKey('', ctx)).keyId).toBe('my-key');
  });

  it.each([
    ['generate another key', () => kms.generateKey('other', ctx), 'key-not-found'],
    ['create its own key', () => kms.createKey('my-key'), 'key-exists'],
    ['create another key', () => kms.createKey('other'), 'not-supported'],
  ])('refuses to %s', async (_what, call, kind) => {
    await expect(call()).rejects.toMatchObject({ kind });
  });

  it('reports itself online, up as long as the process', async () => {
    expect(await kms.status()).toEqual({
      name: 'MinIO builtin',
      defaultKeyId: 'my-key',
      endpoints: { '127.0.0.1': 'online' },
      uptimeSeconds: expect.any(Number),
    });
    expect((await kms.status()).uptimeSeconds).toBeLessThanOrEqual(process.uptime());
  });

  it('lists its one key for a prefix it starts with', async () => {
    expect(await kms.listKeys('')).toEqual(['my-key']);
    expect(await kms.listKeys('my-*')).toEqual(['my-key']);
    expect(await kms.listKeys('other')).toEqual([]);
  });
});
