import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { dareEncryptedSize, dareOpen, sealETag } from '@kms-chain/crypto';
import { describe, expect, it } from 'vitest';
import { chunked, collect } from '../../test/units.js';
import type { ObjectReader } from '../storage/open-object.js';
import type { ObjectMeta } from '../storage/types.js';
import { META } from './metadata.js';
import { encryptChunks, partEncryption, readDecrypted, visibleEtag } from './service.js';

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

  it('closes a long source when its reader stops early', async () => {
    let closed = false;
    async function* source(): AsyncGenerator<Buffer> {
      try {
        for (let i = 0; i < 64; i++) yield randomBytes(100_000);
      } finally {
        closed = true;
      }
    }
    for await (const sealed of encryptChunks(source(), randomBytes(32))) {
      expect(sealed.length).toBeGreaterThan(0);
      break;
    }
    expect(closed).toBe(true);
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

describe('readDecrypted', () => {
  // An opened object that serves stored bytes from memory and records which byte ranges were read.
  function fakeObject(meta: ObjectMeta, stored: Buffer, reads: Array<[number, number]>): ObjectReader {
    return {
      meta,
      read: (start: number, end: number) => {
        reads.push([start, end]);
        return Readable.from([stored.subarray(start, end + 1)]);
      },
      close: () => {},
    };
  }

  function metaOf(
    parts: Array<{ number: number; size: number; storedSize: number }>,
    multipart: boolean,
  ): ObjectMeta {
    return {
      format: 1,
      key: 'k',
      size: parts.reduce((n, p) => n + p.size, 0),
      etag: 'x',
      lastModified: '',
      contentType: '',
      headers: {},
      userMetadata: {},
      storageClass: 'STANDARD',
      internal: multipart ? { [META.multipart]: '' } : {},
      parts: parts.map((p) => ({ ...p, etag: '', file: '' })),
    };
  }

  it.each([
    [0, 0, [0, 65567]],
    [65535, 65535, [0, 65567]],
    [65536, 65536, [65568, 131135]],
    [65537, 70000, [65568, 131135]],
    [70000, 140000, [65568, 196703]],
    [199_999, 199_999, [196704, 200127]],
  ])('single part: bytes %i-%i read only stored bytes %j', async (a, b, range) => {
    const oek = randomBytes(32);
    const data = randomBytes(200_000);
    const stored = await collect(encryptChunks(chunked(data, 50_000), oek));
    const reads: Array<[number, number]> = [];
    const meta = metaOf([{ number: 1, size: data.length, storedSize: stored.length }], false);
    const out = await collect(await readDecrypted(fakeObject(meta, stored, reads), oek, a, b));
    expect(out.equals(data.subarray(a, b + 1))).toBe(true);
    expect(reads).toEqual([range]);
  });

  it('multipart: part keys by part number, ranges across the part boundary', async () => {
    const oek = randomBytes(32);
    const parts = [randomBytes(100_000), randomBytes(70_000)];
    const numbers = [3, 7];
    const stored: Buffer[] = [];
    for (let i = 0; i < 2; i++) {
      const pe = partEncryption(oek, 'upload-id', numbers[i]!);
      stored.push(await collect(encryptChunks(chunked(parts[i]!, 30_000), pe.key, pe.nonce)));
    }
    const all = Buffer.concat(stored);
    const data = Buffer.concat(parts);
    const meta = metaOf(
      numbers.map((n, i) => ({ number: n, size: parts[i]!.length, storedSize: stored[i]!.length })),
      true,
    );
    for (const [a, b] of [
      [0, data.length - 1],
      [99_999, 100_000],
      [65536, 165_000],
    ] as Array<[number, number]>) {
      const reads: Array<[number, number]> = [];
      const out = await collect(await readDecrypted(fakeObject(meta, all, reads), oek, a, b));
      expect(out.equals(data.subarray(a, b + 1))).toBe(true);
    }
  });
});
