// The one read path for object content, used by GET, CopyObject and UploadPartCopy. Content offsets are
// what clients see; stored offsets are what is on disk. Today they coincide. Server-side encryption
// inserts itself here: map the content range to whole DARE packages per part (spec/minio-sse.md §2.4,
// using each part's number and storedSize from the metadata), read that stored range, decrypt with the
// part keys, then drop the leading skip and cap the length.
import type { Readable } from 'node:stream';
import type { FsStore } from '../storage/fs-store.js';
import type { ObjectMeta } from '../storage/types.js';

/** Streams content bytes [start, end] (inclusive) of a committed object. */
export async function readContent(
  store: FsStore,
  bucket: string,
  meta: ObjectMeta,
  start: number,
  end: number,
): Promise<Readable> {
  return store.openRead(bucket, meta, start, end);
}
