// The staging area: request bodies stream into .minio.sys/tmp and are fsynced there before a commit
// renames them into an object or an upload. Anything left in it after a crash was never committed; the
// startup sweep empties it.
import { randomUUID } from 'node:crypto';
import { type FileHandle, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { countStreamed } from './streamed-collect.js';

const WRITE_BATCH = 1024 * 1024;
const BACKGROUND_SYNC = 8 * 1024 * 1024;

/** A body written to the staging area, not yet visible. */
export interface StagedFile {
  path: string;
  size: number;
}

/**
 * Streams a body into a new file of `tmpDir` and fsyncs it. On any error the staged file is removed.
 * `onWritten` gets each chunk back once it is written, for a producer that reuses its buffers.
 */
export async function stageBody(
  tmpDir: string,
  chunks: AsyncIterable<Buffer>,
  onWritten?: (chunk: Buffer) => void,
): Promise<StagedFile> {
  const path = join(tmpDir, randomUUID());
  const fh = await open(path, 'wx', 0o600);
  try {
    const size = await writeChunks(fh, chunks, onWritten);
    await fh.datasync();
    await fh.close();
    return { path, size };
  } catch (err) {
    await fh.close().catch(() => {});
    await unlink(path).catch(() => {});
    throw err;
  }
}

/**
 * Writes an async stream of chunks to a file, keeping one write in flight while the next batch arrives.
 * `onWritten` receives each chunk once it is written (not yet synced) and no longer referenced here.
 */
async function writeChunks(
  fh: FileHandle,
  chunks: AsyncIterable<Buffer>,
  onWritten?: (chunk: Buffer) => void,
): Promise<number> {
  let position = 0;
  let batch: Buffer[] = [];
  let batchBytes = 0;
  let inFlight: Promise<void> | null = null;
  const flush = async (buffers: Buffer[], bytes: number, at: number): Promise<void> => {
    let { bytesWritten } = await fh.writev(buffers, at);
    // writev may write less than asked; finish the remainder.
    while (bytesWritten < bytes) {
      const rest = Buffer.concat(buffers).subarray(bytesWritten);
      const r = await fh.write(rest, 0, rest.length, at + bytesWritten);
      bytesWritten += r.bytesWritten;
    }
    if (onWritten) for (const b of buffers) onWritten(b);
  };
  // Flushing to disk in the background while the body still arrives overlaps disk and network time;
  // the caller's final datasync then only waits for the tail.
  let syncing: Promise<void> | null = null;
  let unsynced = 0;
  for await (const chunk of chunks) {
    countStreamed(chunk.length);
    batch.push(chunk);
    batchBytes += chunk.length;
    if (batchBytes >= WRITE_BATCH) {
      if (inFlight) await inFlight;
      inFlight = flush(batch, batchBytes, position);
      // Surface a write error at the next await instead of as an unhandled rejection.
      inFlight.catch(() => {});
      position += batchBytes;
      unsynced += batchBytes;
      batch = [];
      batchBytes = 0;
      if (unsynced >= BACKGROUND_SYNC && !syncing) {
        unsynced = 0;
        const started: Promise<void> = inFlight.then(() => fh.datasync());
        syncing = started.finally(() => {
          syncing = null;
        });
        syncing.catch(() => {});
      }
    }
  }
  if (inFlight) await inFlight;
  if (batchBytes > 0) await flush(batch, batchBytes, position);
  if (syncing) await syncing;
  return position + batchBytes;
}
