// The store's listing order and paging, key rules, and commit bookkeeping, directly on a temp directory.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StorageError } from './errors.js';
import { FsStore, INLINE_MAX, type ListOptions } from './fs-store.js';
import { checkObjectKey, compareKeys, isValidBucketName } from './keys.js';

let dir: string;
let store: FsStore;
const props = { contentType: 'x/y', headers: {}, userMetadata: {}, storageClass: 'STANDARD', internal: {} };

async function put(key: string, target = store): Promise<void> {
  const data = Buffer.from(key);
  await target.commitObject(
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

describe('stage', () => {
  it('hands each chunk back once, in order, after it is in the file', async () => {
    const chunks = Array.from({ length: 40 }, (_, i) => Buffer.alloc(100_000 + i, i));
    const tmp = join(dir, '.minio.sys', 'tmp');
    const handedBack: Buffer[] = [];
    let bytesBack = 0;
    const staged = await store.stage(
      (async function* () {
        yield* chunks;
      })(),
      (chunk) => {
        handedBack.push(chunk);
        bytesBack += chunk.length;
        const [name] = readdirSync(tmp);
        expect(statSync(join(tmp, name!)).size).toBeGreaterThanOrEqual(bytesBack);
      },
    );
    try {
      expect(handedBack).toEqual(chunks);
      for (const [i, c] of chunks.entries()) expect(handedBack[i]).toBe(c);
      expect(readFileSync(staged.path).equals(Buffer.concat(chunks))).toBe(true);
    } finally {
      await store.discard(staged);
    }
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
      expect(() => checkObjectKey(key)).toThrow(StorageError);
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

describe('startup sweep', () => {
  const uuid = (d: string) => `${d.repeat(8)}-${d.repeat(4)}-${d.repeat(4)}-${d.repeat(4)}-${d.repeat(12)}`;
  const objDir = (root: string, bucket: string, key: string) => {
    const h = createHash('sha256').update(key).digest('hex');
    return join(root, bucket, h.slice(0, 2), h);
  };

  it('removes every kind of leftover and keeps committed objects and live uploads', async () => {
    const root = await mkdtemp(join(tmpdir(), 'minio-sweep-'));
    try {
      const s = new FsStore(root);
      await s.init();
      await s.createBucket('bkt');
      const big = Buffer.alloc(INLINE_MAX + 1, 7);
      const staged = await s.stage(
        (async function* () {
          yield big;
        })(),
      );
      await s.commitObject(
        'bkt',
        'kept',
        props,
        [{ number: 1, size: big.length, storedSize: big.length, etag: 'e', source: staged.path, move: true }],
        'e',
        undefined,
      );
      const upload = await s.createUpload('bkt', 'mp', props, undefined);
      const part = await s.stage(
        (async function* () {
          yield Buffer.from('part one');
        })(),
      );
      const committedPart = await s.commitPart('bkt', upload, part, {
        number: 1,
        size: 8,
        storedSize: 8,
        etag: 'p',
      });

      // What a kill -9 at each step of each commit protocol leaves behind.
      const sys = join(root, '.minio.sys');
      await writeFile(join(sys, 'tmp', 'half-staged-body'), 'x');
      await writeFile(join(sys, 'tmp', `${uuid('a')}.json`), '{');
      const keptDir = objDir(root, 'bkt', 'kept');
      await writeFile(join(keptDir, `${uuid('b')}.1`), 'unreferenced new version');
      const neverDir = objDir(root, 'bkt', 'never');
      await mkdir(neverDir, { recursive: true });
      await writeFile(join(neverDir, `${uuid('c')}.1`), 'first commit before its meta.json');
      const uploadDir = join(sys, 'multipart', 'bkt', upload.uploadId);
      await writeFile(join(uploadDir, `part.2.${uuid('d')}`), 'part before its record');
      await writeFile(join(uploadDir, `part.1.${uuid('e')}`), 'replaced part before its removal');
      await writeFile(join(uploadDir, 'part.3.json'), JSON.stringify({ file: `part.3.${uuid('f')}` }));
      const brokenUpload = join(sys, 'multipart', 'bkt', 'A'.repeat(32));
      await mkdir(brokenUpload);
      await writeFile(join(brokenUpload, `part.1.${uuid('0')}`), 'upload.json never written');
      await mkdir(join(sys, 'multipart', 'gone-bucket', 'B'.repeat(32)), { recursive: true });
      await writeFile(join(sys, 'buckets', 'gone-bucket.json'), '{}');

      const fresh = new FsStore(root);
      await fresh.init();
      // Before the background sweep of the bucket ends, a write to it waits for it.
      const [, report] = await Promise.all([put('during-sweep', fresh), fresh.sweepDone()]);
      expect(report).toEqual({
        staging: 2,
        objectFiles: 1,
        objectDirs: 1,
        partFiles: 3,
        uploads: 2,
        bucketRecords: 1,
      });
      expect(await readdir(join(sys, 'tmp'))).toEqual([]);
      expect((await readdir(keptDir)).sort()).toEqual(
        [(await fresh.getMeta('bkt', 'kept')).parts[0]!.file, 'meta.json'].sort(),
      );
      await expect(readdir(neverDir)).rejects.toMatchObject({ code: 'ENOENT' });
      expect((await readdir(uploadDir)).sort()).toEqual([committedPart.file, 'part.1.json', 'upload.json']);
      expect(await readdir(join(sys, 'multipart'))).toEqual(['bkt']);
      expect(await readdir(join(sys, 'multipart', 'bkt'))).toEqual([upload.uploadId]);
      expect(await readdir(join(sys, 'buckets'))).toEqual(['bkt.json']);
      const page = await fresh.list('bkt', { prefix: '', delimiter: '', maxKeys: 10, after: '' });
      expect(page.objects.map((o) => o.key)).toEqual(['during-sweep', 'kept']);
      expect(await fresh.listParts('bkt', upload)).toHaveLength(1);

      // A meta.json that does not parse, or whose parts name no files, is no crash's doing: its folder
      // is left untouched.
      const damagedDir = objDir(root, 'bkt', 'damaged');
      await mkdir(damagedDir, { recursive: true });
      await writeFile(join(damagedDir, 'meta.json'), '{"key":');
      await writeFile(join(damagedDir, `${uuid('1')}.1`), 'data of the damaged object');
      const oddDir = objDir(root, 'bkt', 'odd');
      await mkdir(oddDir, { recursive: true });
      await writeFile(join(oddDir, 'meta.json'), JSON.stringify({ key: 'odd', parts: 'none' }));
      await writeFile(join(oddDir, `${uuid('2')}.1`), 'data of the odd object');
      const third = new FsStore(root);
      await third.init();
      expect(Object.values(await third.sweepDone()).every((n) => n === 0)).toBe(true);
      expect(await readdir(damagedDir)).toHaveLength(2);
      expect(await readdir(oddDir)).toHaveLength(2);
      const listed = await third.list('bkt', { prefix: '', delimiter: '', maxKeys: 10, after: '' });
      expect(listed.objects.map((o) => o.key)).toEqual(['during-sweep', 'kept', 'odd']);
      await rm(damagedDir, { recursive: true });
      await rm(oddDir, { recursive: true });

      // A second start finds nothing more to do.
      const again = new FsStore(root);
      await again.init();
      expect(Object.values(await again.sweepDone()).every((n) => n === 0)).toBe(true);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('openObject', () => {
  // A body large enough to live in its own data file, not inline in meta.json.
  async function putFile(key: string, data: Buffer): Promise<void> {
    const staged = await store.stage(
      (async function* () {
        yield data;
      })(),
    );
    await store.commitObject(
      'bkt',
      key,
      props,
      [{ number: 1, size: data.length, storedSize: data.length, etag: 'e', source: staged.path, move: true }],
      'e',
      undefined,
    );
  }
  async function readAll(r: Readable): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const c of r) parts.push(c as Buffer);
    return Buffer.concat(parts);
  }
  const v1 = Buffer.alloc(INLINE_MAX + 1000, 1);
  const v2 = Buffer.alloc(INLINE_MAX + 2000, 2);

  it('reads the version it opened, whole, after that version is overwritten and deleted', async () => {
    await putFile('race/held', v1);
    const held = await store.openObject('bkt', 'race/held');
    await putFile('race/held', v2);
    await store.deleteObject('bkt', 'race/held');
    expect(held.meta.size).toBe(v1.length);
    expect((await readAll(held.read(0, v1.length - 1))).equals(v1)).toBe(true);
    held.close();
  });

  it('opens the new version when the metadata it read was replaced before its files were opened', async () => {
    await putFile('race/swap', v1);
    const getMeta = store.getMeta.bind(store);
    let swapped = 0;
    // The overwrite commits (and removes v1's data file) between the metadata read and the open.
    store.getMeta = async (b, k) => {
      const meta = await getMeta(b, k);
      if (swapped++ === 0) await putFile('race/swap', v2);
      return meta;
    };
    try {
      const opened = await store.openObject('bkt', 'race/swap');
      expect(swapped).toBe(2);
      expect(opened.meta.size).toBe(v2.length);
      expect((await readAll(opened.read(0, v2.length - 1))).equals(v2)).toBe(true);
      opened.close();
    } finally {
      store.getMeta = getMeta;
    }
    await store.deleteObject('bkt', 'race/swap');
    await expect(store.openObject('bkt', 'race/swap')).rejects.toMatchObject({ kind: 'NoSuchKey' });
  });
});

describe('dropCaches', () => {
  it('empties the meta.json cache, and reads fill it again from disk', async () => {
    await put('cache/a');
    await store.getMeta('bkt', 'cache/a');
    expect(store.cachedMetaBytes).toBeGreaterThan(0);
    store.dropCaches();
    expect(store.cachedMetaBytes).toBe(0);
    expect((await store.getMeta('bkt', 'cache/a')).key).toBe('cache/a');
    expect(store.cachedMetaBytes).toBeGreaterThan(0);
  });
});
