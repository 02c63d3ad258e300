// One committed version of an object, opened for reading: its metadata and descriptors of all its data
// files, opened together. Data files are immutable and a version's files are removed only after a newer
// meta.json is committed; an unlinked file stays readable through a descriptor opened before, so a
// reader holding these descriptors reads the version it resolved, whole, whatever commits meanwhile.
import { close as closeFd, createReadStream, read as readFd } from 'node:fs';
import { Readable } from 'node:stream';
import { countStreamed } from './streamed-collect.js';
import type { ObjectMeta, PartLayout } from './types.js';

const READ_CHUNK = 256 * 1024;

/** The file system calls of the read streams: Node's, with each read counted (streamed-collect.ts). */
const countedFs = {
  read(
    fd: number,
    buffer: Buffer,
    offset: number,
    length: number,
    position: number | null,
    callback: (err: NodeJS.ErrnoException | null, bytesRead: number, buffer: Buffer) => void,
  ): void {
    readFd(fd, buffer, offset, length, position, (err, bytesRead, buf) => {
      if (!err) countStreamed(bytesRead);
      callback(err, bytesRead, buf);
    });
  },
  close: closeFd,
};

/**
 * A version opened by FsStore.openObject. `read` may be called once and hands the descriptors it needs
 * to the stream it returns (the stream closes them); `close` releases whatever `read` did not take.
 * Call `close` in every case (it is idempotent).
 */
export interface ObjectReader {
  readonly meta: ObjectMeta;
  /** Streams the stored bytes [start, end] (inclusive) of this version. */
  read(start: number, end: number): Readable;
  close(): void;
}

/** `fds[i]` is the descriptor of `meta.parts[i]`, or -1 for inline and empty parts. */
export class OpenObject implements ObjectReader {
  #fds: number[] | undefined;

  constructor(
    readonly meta: ObjectMeta,
    fds: number[],
  ) {
    this.#fds = fds;
  }

  read(start: number, end: number): Readable {
    const fds = this.#fds;
    if (!fds) throw new Error('object version already read or closed');
    this.#fds = undefined;
    const spans: Array<{ part: PartLayout; fd: number; from: number; to: number }> = [];
    let offset = 0;
    this.meta.parts.forEach((part, i) => {
      const partEnd = offset + part.storedSize - 1;
      if (part.storedSize > 0 && partEnd >= start && offset <= end) {
        spans.push({
          part,
          fd: fds[i]!,
          from: Math.max(start, offset) - offset,
          to: Math.min(end, partEnd) - offset,
        });
        fds[i] = -1;
      }
      offset += part.storedSize;
    });
    closeAll(fds);
    const streamOf = (i: number): Readable => {
      const { part, fd, from, to } = spans[i]!;
      if (part.inline !== undefined)
        return Readable.from([Buffer.from(part.inline, 'base64').subarray(from, to + 1)]);
      // Plain descriptors with callback reads: measurably faster than FileHandle streams for large GETs.
      return createReadStream('', { fd, fs: countedFs, start: from, end: to, highWaterMark: READ_CHUNK });
    };
    if (spans.length === 1) return streamOf(0);
    async function* concat(): AsyncGenerator<Buffer> {
      let i = 0;
      try {
        for (; i < spans.length; i++) {
          for await (const chunk of streamOf(i)) yield chunk as Buffer;
        }
      } finally {
        // Each stream closes its own descriptor; close the ones never reached.
        closeAll(spans.slice(i + 1).map((s) => s.fd));
      }
    }
    return Readable.from(concat(), { objectMode: false, highWaterMark: READ_CHUNK });
  }

  close(): void {
    if (this.#fds) closeAll(this.#fds);
    this.#fds = undefined;
  }
}

function closeAll(fds: number[]): void {
  for (const fd of fds) if (fd >= 0) closeFd(fd, () => {});
}
