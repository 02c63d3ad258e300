import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { dareOpen, partKey } from '@kms-chain/crypto';
import { describe, expect, it } from 'vitest';
import { chunked, collect } from '../../test/units.js';
import type { ObjectReader } from '../storage/open-object.js';
import type { ChecksumValue, ObjectMeta } from '../storage/types.js';
import { openChecksum, openPartChecksum, SEALED_CHECKSUM } from './checksum-seal.js';
import {
  objectWritePlan,
  PLAINTEXT_OBJECT_WRITE,
  PLAINTEXT_PART_WRITE,
  PLAINTEXT_READ,
  partWritePlan,
  readPlan,
} from './plans.js';
import type { ObjectKeyMaterial } from './service.js';

function material(kind: ObjectKeyMaterial['kind']): ObjectKeyMaterial {
  const oek = randomBytes(32);
  return {
    kind,
    oek,
    internal: { 'X-Minio-Internal-Server-Side-Encryption-Iv': 'iv' },
    headers: { 'x-amz-server-side-encryption': 'AES256' },
    dispose: () => oek.fill(0),
  };
}

function metaOf(size: number, storedSize: number, extra: Partial<ObjectMeta> = {}): ObjectMeta {
  return {
    format: 1,
    key: 'k',
    size,
    etag: 'e'.repeat(32),
    lastModified: '',
    contentType: '',
    headers: {},
    userMetadata: {},
    storageClass: 'STANDARD',
    internal: {},
    parts: [{ number: 1, size, storedSize, etag: '', file: 'f' }],
    ...extra,
  };
}

const checksum: ChecksumValue = { algorithm: 'CRC32', value: 'AAAAAA==' };
const md5 = createHash('md5').update('body').digest();

describe('plaintext plans', () => {
  it('hand the body through as it is: no stream in between on the hot path', () => {
    const body = chunked(randomBytes(10), 4);
    expect(PLAINTEXT_OBJECT_WRITE.encrypt(body)).toBe(body);
    expect(PLAINTEXT_PART_WRITE.encrypt(body)).toBe(body);
    expect(PLAINTEXT_OBJECT_WRITE.storedSize(1000)).toBe(1000);
    expect(PLAINTEXT_OBJECT_WRITE.storedSize(undefined)).toBeUndefined();
  });

  it('store the MD5 as ETag and the checksum in the clear', () => {
    expect(PLAINTEXT_OBJECT_WRITE.etag(md5, true)).toBe(md5.toString('hex'));
    expect(PLAINTEXT_OBJECT_WRITE.shownEtag('abc', md5)).toBe('abc');
    expect(PLAINTEXT_OBJECT_WRITE.seal({ a: 'b' }, checksum)).toEqual({ internal: { a: 'b' }, checksum });
    expect(PLAINTEXT_PART_WRITE.seal(checksum)).toEqual({ checksum });
    expect(PLAINTEXT_OBJECT_WRITE.headers).toEqual({});
  });

  it('read inline bytes as stored, and other bytes from the file', async () => {
    const meta = metaOf(5, 5);
    meta.parts[0]!.inline = Buffer.from('hello').toString('base64');
    expect(PLAINTEXT_READ.inline(meta, 1, 3)?.toString()).toBe('ell');
    const object: ObjectReader = {
      meta,
      read: (start, end) => Readable.from([Buffer.from('hello').subarray(start, end + 1)]),
      close: () => {},
    };
    expect((await collect(await PLAINTEXT_READ.read(object, 0, 1))).toString()).toBe('he');
    expect(PLAINTEXT_READ.view(meta)).toBe(meta);
  });
});

describe('encrypted plans', () => {
  it('an object write stores DARE packages of the stated size, a sealed ETag and a sealed checksum', async () => {
    const km = material('SSE-S3');
    const oek = Buffer.from(km.oek);
    const plan = objectWritePlan(km);
    const data = randomBytes(150_000);
    const stored = await collect(plan.encrypt(chunked(data, 20_000)));
    expect(stored.length).toBe(plan.storedSize(data.length));
    expect(dareOpen(oek, stored).equals(data)).toBe(true);
    const etag = plan.etag(md5);
    expect(etag).not.toBe(md5.toString('hex'));
    expect(plan.shownEtag(etag, md5)).toBe(md5.toString('hex'));
    const sealed = plan.seal({ a: 'b' }, checksum);
    expect(sealed.checksum).toBeUndefined();
    expect(sealed.internal).toMatchObject({ a: 'b', ...km.internal });
    expect(openChecksum(oek, sealed.internal[SEALED_CHECKSUM]!)).toEqual(checksum);
    expect(plan.headers).toEqual(km.headers);
    plan.dispose();
    expect(km.oek.equals(Buffer.alloc(32))).toBe(true);
  });

  it('a part write encrypts with the part key and seals the part checksum; dispose zeroes both keys', async () => {
    const km = material('SSE-KMS');
    const oek = Buffer.from(km.oek);
    const plan = partWritePlan(km, 'upload-1', 3);
    const data = randomBytes(1000);
    const stored = await collect(plan.encrypt(chunked(data, 300)));
    expect(dareOpen(partKey(oek, 3), stored).equals(data)).toBe(true);
    const sealed = plan.seal(checksum);
    expect(sealed.checksum).toBeUndefined();
    expect(openPartChecksum(oek, 3, sealed.sealedChecksum!)).toEqual(checksum);
    expect(plan.seal(undefined)).toEqual({ checksum: undefined });
    plan.dispose();
    expect(km.oek.equals(Buffer.alloc(32))).toBe(true);
  });

  it('a read decrypts a range, never serves inline bytes raw, and shows the ETag clients see', async () => {
    const km = material('SSE-S3');
    const writer = objectWritePlan({ ...km, oek: Buffer.from(km.oek), dispose: () => {} });
    const data = randomBytes(100_000);
    const stored = await collect(writer.encrypt(chunked(data, 10_000)));
    const meta = metaOf(data.length, stored.length, { etag: writer.etag(md5) });
    const object: ObjectReader = {
      meta,
      read: (start, end) => Readable.from([stored.subarray(start, end + 1)]),
      close: () => {},
    };
    const plan = readPlan(km);
    expect(
      (await collect(await plan.read(object, 70_000, 70_099))).equals(data.subarray(70_000, 70_100)),
    ).toBe(true);
    expect(plan.inline({ ...meta, parts: [{ ...meta.parts[0]!, inline: 'AAAA' }] }, 0, 1)).toBeUndefined();
    expect(plan.view(meta).etag).toBe(md5.toString('hex'));
    expect(plan.headers).toEqual(km.headers);
    plan.dispose();
  });
});
