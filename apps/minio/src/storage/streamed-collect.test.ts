// Body chunks die as soon as they are written, but V8 frees their memory only at a collection: the
// store collects the young generation after every 8 MiB it stages or reads back, so dead chunks stay
// a few MiB instead of piling up to V8's own threshold (tens of MiB) during one long transfer.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsStore } from './fs-store.js';

const MiB = 1024 * 1024;
const BODY = 48 * MiB;
const props = { contentType: 'x/y', headers: {}, userMetadata: {}, storageClass: 'STANDARD', internal: {} };
let dir: string;
let store: FsStore;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'minio-streamed-'));
  store = new FsStore(dir);
  await store.init();
  await store.createBucket('bkt');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** ArrayBuffer memory of this process, live and not yet collected. */
const arrayBuffers = (): number => process.memoryUsage().arrayBuffers;

describe('body streaming', () => {
  it('keeps the dead chunks of a 48 MiB staged body, then of its read, to a few MiB', async () => {
    const base = arrayBuffers();
    let most = 0;
    // Fresh 64 KiB chunks, as a request body arrives: each is garbage once written.
    const body = (async function* () {
      for (let at = 0; at < BODY; at += 64 * 1024) {
        most = Math.max(most, arrayBuffers() - base);
        yield Buffer.allocUnsafeSlow(64 * 1024).fill(at / (64 * 1024));
      }
    })();
    const staged = await store.stage(body);
    expect(staged.size).toBe(BODY);
    const stagedMost = most;
    await store.commitObject(
      'bkt',
      'big',
      props,
      [{ number: 1, size: BODY, storedSize: BODY, etag: 'e', source: staged.path, move: true }],
      'e',
      undefined,
    );
    most = 0;
    const readBase = arrayBuffers();
    const opened = await store.openObject('bkt', 'big');
    let read = 0;
    for await (const chunk of opened.read(0, BODY - 1)) {
      read += (chunk as Buffer).length;
      most = Math.max(most, arrayBuffers() - readBase);
    }
    opened.close();
    expect(read).toBe(BODY);
    // Left to V8, all 48 MiB of them would still be there at the end of each stream.
    expect(stagedMost).toBeLessThan(20 * MiB);
    expect(most).toBeLessThan(20 * MiB);
  });
});
