import { randomBytes } from 'node:crypto';
import { dareEncryptedSize, dareOpen, sealETag } from '@kms-chain/crypto';
import { describe, expect, it } from 'vitest';
import { encryptChunks, visibleEtag } from './service.js';

async function collect(it: AsyncIterable<Buffer>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of it) out.push(c);
  return Buffer.concat(out);
}

async function* chunked(data: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

describe('encryptChunks', () => {
  it.each([
    [0, 1000],
    [1, 1000],
    [4096, 4096],
    [65536, 10_000],
    [65537, 65536],
    [200_000, 7000],
  ])('%i bytes in %i-byte chunks make one DARE stream', async (size, chunk) => {
    const key = randomBytes(32);
    const data = randomBytes(size);
    const nonce = randomBytes(12);
    const sealed = await collect(encryptChunks(chunked(data, chunk), key, nonce));
    expect(sealed.length).toBe(dareEncryptedSize(size));
    expect(dareOpen(key, sealed).equals(data)).toBe(true);
    if (size > 0) expect(sealed.subarray(5, 16).equals(nonce.subarray(1))).toBe(true);
  });

  it('passes source errors on', async () => {
    async function* broken(): AsyncGenerator<Buffer> {
      yield randomBytes(70_000);
      throw new Error('client went away');
    }
    await expect(collect(encryptChunks(broken(), randomBytes(32)))).rejects.toThrow('client went away');
  });
});

describe('visibleEtag', () => {
  const oek = randomBytes(32);
  const md5 = randomBytes(16);
  const sealed = sealETag(oek, md5).toString('hex');
  it.each([
    ['plain', 'd41d8cd98f00b204e9800998ecf8427e', undefined, 'd41d8cd98f00b204e9800998ecf8427e'],
    ['multipart', 'abc-3', 'SSE-S3', 'abc-3'],
    ['SSE-KMS', sealed, 'SSE-KMS', sealed.slice(-32)],
    ['SSE-C', sealed, 'SSE-C', sealed.slice(-32)],
  ] as const)('%s', (_name, stored, kind, shown) => {
    expect(visibleEtag(stored, kind)).toBe(shown);
  });
  it('unseals SSE-S3 ETags with the object key', () => {
    expect(visibleEtag(sealed, 'SSE-S3', oek)).toBe(md5.toString('hex'));
    expect(() => visibleEtag(sealed, 'SSE-S3', randomBytes(32))).toThrow();
  });
});
