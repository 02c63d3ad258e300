// The store's listing order and paging, key rules, and commit bookkeeping, directly on a temp directory.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Error } from '../s3/errors.js';
import { FsStore, type ListOptions } from './fs-store.js';
import { checkObjectKey, compareKeys, isValidBucketName } from './keys.js';

let dir: string;
let store: FsStore;
const props = { contentType: 'x/y', headers: {}, userMetadata: {}, storageClass: 'STANDARD', internal: {} };

async function put(key: string): Promise<void> {
  const data = Buffer.from(key);
  await store.commitObject(
    'bkt',
    key,
    props,
    [{ number: 1, size: data.length, storedSize: data.length, etag: 'e', data }],
    'e',
    undefined,
  );
}

async function all(opts: Partial<ListOptions>): Promise<string[]> {
  const out: string[] = [];
  let after = opts.after ?? '';
  for (;;) {
    const page = await store.list('bkt', { prefix: '', delimiter: '', maxKeys: 2, ...opts, after });
    out.push(...page.commonPrefixes.map((p) => `P:${p}`), ...page.objects.map((o) => o.key));
    if (!page.isTruncated) return out;
    after = page.last!;
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'minio-store-'));
  store = new FsStore(dir);
  await store.init();
  await store.createBucket('bkt');
  for (const k of ['x/1', 'x/2', 'x/y/3', 'x-', 'y', 'x0', 'z/z/z']) await put(k);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('list', () => {
  it('pages through keys in byte order', async () => {
    expect(await all({})).toEqual(['x-', 'x/1', 'x/2', 'x/y/3', 'x0', 'y', 'z/z/z']);
  });

  it('groups common prefixes across pages without repeating them', async () => {
    const got = await all({ delimiter: '/' });
    expect(got.filter((g) => g.startsWith('P:'))).toEqual(['P:x/', 'P:z/']);
    expect(got.filter((g) => !g.startsWith('P:'))).toEqual(['x-', 'x0', 'y']);
  });

  it('lists under a prefix with a delimiter', async () => {
    expect(await all({ prefix: 'x/', delimiter: '/' })).toEqual(['x/1', 'x/2', 'P:x/y/']);
  });

  it('starts after a marker inside a common prefix', async () => {
    expect(await all({ delimiter: '/', after: 'x/1' })).toEqual(['x0', 'y', 'P:z/']);
  });

  it('keeps the order through inserts and deletes', async () => {
    await all({});
    await put('x/15');
    await store.deleteObject('bkt', 'x/2');
    expect(await all({ prefix: 'x/' })).toEqual(['x/1', 'x/15', 'x/y/3']);
    await store.deleteObject('bkt', 'x/15');
    await put('x/2');
  });

  it('rebuilds the same index from disk', async () => {
    const fresh = new FsStore(dir);
    await fresh.init();
    const page = await fresh.list('bkt', { prefix: '', delimiter: '', maxKeys: 1000, after: '' });
    expect(page.objects.map((o) => o.key)).toEqual(['x-', 'x/1', 'x/2', 'x/y/3', 'x0', 'y', 'z/z/z']);
  });
});

describe('keys', () => {
  it.each([
    ['a', 'b', -1],
    ['a/', 'a-', 1],
    ['\uffff', '😀', -1],
    ['é', 'z', 1],
    ['ab', 'a', 1],
  ])('compareKeys(%j, %j) has sign %i', (a, b, sign) => {
    expect(Math.sign(compareKeys(a, b))).toBe(sign);
    expect(Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b)))).toBe(sign);
  });

  it.each(['', '../a', 'a/../b', './a', 'a/.', '/abs', 'nul\0', 'lone\ud800', 'k'.repeat(1025)])(
    'refuses the key %j',
    (key) => {
      expect(() => checkObjectKey(key)).toThrow(S3Error);
    },
  );

  it.each(['a', 'a//b', 'dir/', '..a', 'a..', '.hidden', '😀', 'k'.repeat(1024)])(
    'accepts the key %j',
    (key) => {
      expect(() => checkObjectKey(key)).not.toThrow();
    },
  );

  it.each([
    ['abc', true],
    ['my.bucket-1', true],
    ['ab', false],
    ['minio', false],
    ['a.-b', false],
    ['10.0.0.1', false],
    ['Abc', false],
  ])('bucket name %s valid: %s', (name, ok) => {
    expect(isValidBucketName(name)).toBe(ok);
  });
});
