// The one read path for object content, used by GET, CopyObject and UploadPartCopy. Content offsets are
// what clients see; stored offsets are what is on disk. Today they coincide. Server-side encryption
// inserts itself here: map the content range to whole DARE packages per part (spec/minio-sse.md §2.4,
// using each part's number and storedSize from the metadata), read that stored range, decrypt with the
// part keys, then drop the leading skip and cap the length.
import type { Readable } from 'node:stream';
import { readDecrypted } from '../sse/service.js';
import type { ObjectReader } from '../storage/open-object.js';

/**
 * Streams content bytes [start, end] (inclusive) of an opened object version; an encrypted object needs
 * its object key `oek` (from sse/hooks keyForRead) and only the DARE packages of the range are read.
 */
export async function readContent(
  object: ObjectReader,
  start: number,
  end: number,
  oek?: Buffer,
): Promise<Readable> {
  if (oek !== undefined) return readDecrypted(object, oek, start, end);
  return object.read(start, end);
}
