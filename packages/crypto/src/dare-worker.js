// The DARE encryption worker thread (dare-offload.ts starts it): seals batches of whole packages so
// that AEAD work runs beside the main thread's TLS, hashing and I/O. JavaScript for the reason given
// in dare-package.js.
//
// Messages in (in order, per stream):
//   { op: 'open', id, key: ArrayBuffer (32 bytes, transferred), cipherId, nonce: ArrayBuffer (12) }
//   { op: 'seal', id, seq, final, length, data: ArrayBuffer (transferred) }
//       `length` plaintext bytes laid out as packages: payload i at i × 65 568 + 16, 64 KiB each except
//       that the last package of a final batch may be shorter. Packages are numbered from `seq`.
//   { op: 'close', id }   the stream's key is zeroed and forgotten
//   { op: 'memory' }      asks for this thread's ArrayBuffer bytes (tests, diagnostics)
// Messages out, one per seal and in the order received:
//   { id, data: ArrayBuffer (transferred) }  the same buffer, the packages sealed in place
//   { id, error: string }                     the stream is unusable
//   { memory: { arrayBuffers } }              the answer to 'memory', bytes
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort } from 'node:worker_threads';
import { HEADER_SIZE, PACKAGE_SIZE, PAYLOAD_SIZE, sealPackage } from './dare-package.js';

// Each package's ciphertext comes out of the cipher as a new 64 KiB buffer, copied into the batch and
// dropped. This isolate's JS heap barely grows, so V8 frees those buffers late, and the C allocator
// keeps what it once held: the thread's arena stayed at 35–40 MiB after a soak. A young-generation
// collection after every GC_EVERY bytes sealed and when the last stream closes bounds the pile. Every
// 4 MiB rather than 16 takes 12–25 MiB off the peak of a long encrypted stream (512 MiB through
// dareEncryptOffThread: peak RSS 75–78 MiB against 87–104) for 0.1 s more CPU per 512 MiB (0.67–0.83
// s against 0.56–0.62 s, all threads); this thread's own sealing rate drops (every 8 MiB cost it 28 %
// alone), but it stays far above what the main thread, which sets a stream's pace, delivers. `gc` is
// taken from a fresh context while --expose-gc is on, and the flag is turned off again, so no other
// context sees it.
const GC_EVERY = 4 * 1024 * 1024;
setFlagsFromString('--expose-gc');
/** @type {(options: { type: 'minor' | 'major' }) => void} */
const collect = runInNewContext('gc');
setFlagsFromString('--no-expose-gc');
let sealedSinceGc = 0;
let sealedSinceIdle = 0;

/**
 * A young-generation collection while streams run; a full one when the last stream closes, which
 * also frees the outputs that lived long enough to be promoted (under load, several MiB of them).
 * @param {'minor' | 'major'} type
 */
function collectGarbage(type) {
  sealedSinceGc = 0;
  if (type === 'major') sealedSinceIdle = 0;
  collect({ type });
}

/** @typedef {{ key: Buffer, cipherId: number, nonce: Buffer }} Stream */
/** @type {Map<number, Stream>} */
const streams = new Map();

/**
 * Seals, in place, the packages laid out in `batch`: package i's payload is at i × 65 568 + 16 and
 * leaves room for its header before it and its tag after it. The sender keeps the sequence numbers
 * within a stream's 2^32 packages.
 * @param {Stream} s
 * @param {number} seq
 * @param {boolean} final
 * @param {Buffer} batch
 * @param {number} length plaintext bytes in the batch
 */
function sealBatch(s, seq, final, batch, length) {
  const packages = Math.ceil(length / PAYLOAD_SIZE);
  /** @type {Buffer[]} */
  const pieces = [];
  for (let i = 0; i < packages; i++) {
    const at = i * PACKAGE_SIZE;
    const size = Math.min(PAYLOAD_SIZE, length - i * PAYLOAD_SIZE);
    const payload = batch.subarray(at + HEADER_SIZE, at + HEADER_SIZE + size);
    sealPackage(s.key, s.cipherId, s.nonce, seq + i, final && i === packages - 1, [payload], size, pieces);
    let to = at;
    for (const piece of pieces) to += piece.copy(batch, to);
    pieces.length = 0;
  }
}

const port = parentPort;
if (port === null) throw new Error('dare-worker.js runs as a worker thread');

port.on(
  'message',
  /** @param {{ op: string, id: number, key?: ArrayBuffer, cipherId?: number, nonce?: ArrayBuffer, seq?: number, final?: boolean, length?: number, data?: ArrayBuffer }} m */
  (m) => {
    if (m.op === 'open') {
      streams.set(m.id, {
        key: Buffer.from(/** @type {ArrayBuffer} */ (m.key)),
        cipherId: /** @type {number} */ (m.cipherId),
        nonce: Buffer.from(/** @type {ArrayBuffer} */ (m.nonce)),
      });
    } else if (m.op === 'close') {
      streams.get(m.id)?.key.fill(0);
      streams.delete(m.id);
      if (streams.size === 0 && sealedSinceIdle > 0) collectGarbage('major');
    } else if (m.op === 'memory') {
      port.postMessage({ memory: { arrayBuffers: process.memoryUsage().arrayBuffers } });
    } else if (m.op === 'seal') {
      const s = streams.get(m.id);
      try {
        if (s === undefined) throw new Error('no such DARE stream');
        const data = /** @type {ArrayBuffer} */ (m.data);
        sealBatch(
          s,
          /** @type {number} */ (m.seq),
          m.final === true,
          Buffer.from(data),
          /** @type {number} */ (m.length),
        );
        port.postMessage({ id: m.id, data }, [data]);
        sealedSinceGc += /** @type {number} */ (m.length);
        sealedSinceIdle += /** @type {number} */ (m.length);
        if (sealedSinceGc >= GC_EVERY) collectGarbage('minor');
      } catch (err) {
        port.postMessage({ id: m.id, error: err instanceof Error ? err.message : String(err) });
      }
    }
  },
);
