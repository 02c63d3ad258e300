// DARE 2.0 encryption of long streams on worker threads (dare-worker.js). On one stream the main thread
// otherwise does TLS, hashing and AEAD in turn; with the AEAD on a worker it runs beside them on another
// core. The output is byte for byte what createDareEncryptStream writes with the same key and nonce.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { DareEncryptOptions } from './dare.js';
import {
  checkNonce,
  cipherId,
  copyKey,
  DARE_HEADER_SIZE,
  DARE_OVERHEAD,
  DARE_PACKAGE_SIZE,
  DARE_PAYLOAD_SIZE,
  dareError,
} from './dare-core.js';
import { MAX_SEQUENCE } from './dare-package.js';
import { secureRandomBytes } from './random.js';

/** Packages per message to a worker: 16 (1 MiB of plaintext). */
const BATCH_PACKAGES = 16;
/** Sealed batches of one stream that may wait for the consumer while another is with the worker. */
const DEPTH = 2;
/**
 * Batches with one worker at a time, all streams together: it seals one at a time, so more would only
 * hold memory (1 MiB each) when many bodies arrive at once. A stream waits for room.
 */
const MAX_QUEUED = 4;
/** Workers at most: one core is left to the main thread, and a few suffice for any NIC's rate. */
const MAX_WORKERS = 4;

interface Reply {
  id: number;
  data?: ArrayBuffer;
  error?: string;
  memory?: DareWorkerMemory;
}

/** What a DARE worker thread reports of its memory, in bytes. */
export interface DareWorkerMemory {
  /** ArrayBuffer memory of the worker's isolate, live and not yet collected. */
  arrayBuffers: number;
}

interface Pending {
  resolve: (sealed: ArrayBuffer) => void;
  reject: (err: Error) => void;
}

/** One worker thread and the streams it seals. Referenced (keeps the process alive) only while in use. */
class SealWorker {
  readonly #worker: Worker;
  readonly #lanes = new Map<number, Pending[]>();
  #failure: Error | undefined;
  readonly #onDead: (w: SealWorker) => void;
  #queued = 0;
  readonly #waiting: (() => void)[] = [];
  readonly #memoryAsks: ((m: DareWorkerMemory | undefined) => void)[] = [];

  constructor(onDead: (w: SealWorker) => void) {
    this.#onDead = onDead;
    this.#worker = new Worker(new URL('./dare-worker.js', import.meta.url));
    this.#worker.unref();
    this.#worker.on('message', (m: Reply) => {
      if (m.memory !== undefined) {
        this.#memoryAsks.shift()?.(m.memory);
        return;
      }
      this.#queued--;
      this.#waiting.shift()?.();
      const p = this.#lanes.get(m.id)?.shift();
      if (p === undefined) return; // the stream was closed while this batch was queued
      if (m.data !== undefined) p.resolve(m.data);
      else p.reject(new Error(`DARE worker: ${m.error}`));
    });
    this.#worker.on('error', (err) => this.#fail(err));
    this.#worker.on('exit', (code) => this.#fail(new Error(`DARE worker exited with code ${code}`)));
  }

  get load(): number {
    return this.#lanes.size;
  }

  /** Resolves once fewer than MAX_QUEUED batches are with this worker (or it has failed). */
  async room(): Promise<void> {
    while (this.#queued >= MAX_QUEUED && !this.#failure) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
  }

  open(id: number, key: Buffer, cipher: number, nonce: Buffer): void {
    if (this.#failure) throw this.#failure;
    if (this.#lanes.size === 0) this.#worker.ref();
    this.#lanes.set(id, []);
    // Fresh ArrayBuffers, transferred: the key's only copy on this side is detached, not left behind.
    const k = Buffer.allocUnsafeSlow(32);
    k.set(key);
    key.fill(0);
    const n = Buffer.allocUnsafeSlow(12);
    n.set(nonce);
    const keyBuf = k.buffer as ArrayBuffer;
    const nonceBuf = n.buffer as ArrayBuffer;
    this.#worker.postMessage({ op: 'open', id, key: keyBuf, cipherId: cipher, nonce: nonceBuf }, [
      keyBuf,
      nonceBuf,
    ]);
  }

  /**
   * Seals the `length` plaintext bytes laid out as packages in `batch` (transferred: unusable here
   * afterwards); resolves with the first `sealedLength` bytes of the sealed batch.
   */
  seal(
    id: number,
    batch: Buffer,
    length: number,
    seq: number,
    final: boolean,
    sealedLength: number,
  ): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const lane = this.#lanes.get(id);
      if (this.#failure || lane === undefined) {
        reject(this.#failure ?? new Error('DARE worker stream is closed'));
        return;
      }
      lane.push({ resolve: (data) => resolve(Buffer.from(data, 0, sealedLength)), reject });
      const data = batch.buffer as ArrayBuffer;
      this.#queued++;
      this.#worker.postMessage({ op: 'seal', id, seq, final, length, data }, [data]);
    });
  }

  /** The worker's memory figures; undefined once it has failed. */
  memory(): Promise<DareWorkerMemory | undefined> {
    if (this.#failure) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.#memoryAsks.push(resolve);
      this.#worker.postMessage({ op: 'memory' });
    });
  }

  close(id: number): void {
    if (!this.#lanes.delete(id) || this.#failure) return;
    this.#worker.postMessage({ op: 'close', id });
    if (this.#lanes.size === 0) this.#worker.unref();
  }

  #fail(err: Error): void {
    if (this.#failure) return;
    this.#failure = err;
    for (const lane of this.#lanes.values()) for (const p of lane.splice(0)) p.reject(err);
    for (const wake of this.#waiting.splice(0)) wake();
    for (const answer of this.#memoryAsks.splice(0)) answer(undefined);
    this.#onDead(this);
    void this.#worker.terminate();
  }
}

const BATCH_BYTES = BATCH_PACKAGES * DARE_PACKAGE_SIZE;
/** Sealed batches handed back by consumers, for reuse; at most MAX_SPARE (8 MiB) are kept. */
const spare: ArrayBuffer[] = [];
const MAX_SPARE = 8;
/** Sealed batches yielded and not yet handed back. */
const lent = new WeakSet<ArrayBuffer>();

function takeBatch(): Buffer {
  const ab = spare.pop();
  return ab ? Buffer.from(ab) : Buffer.allocUnsafeSlow(BATCH_BYTES);
}

/**
 * Hands back a Buffer that {@link dareEncryptOffThread} yielded, once the consumer is done with it
 * (written out): its memory is reused for a later batch instead of allocated afresh, which on a VM
 * costs page faults per MiB. Anything else is ignored. The Buffer must not be used afterwards.
 */
export function releaseDareBatch(chunk: Uint8Array): void {
  const ab = chunk.buffer as ArrayBuffer;
  if (lent.delete(ab) && spare.length < MAX_SPARE) spare.push(ab);
}

/**
 * Drops the sealed batches kept for reuse (up to 8 MiB), for a process going idle: they are worth
 * keeping while bodies stream back to back, not while nothing arrives. Later streams allocate afresh.
 */
export function releaseSpareBatches(): void {
  spare.length = 0;
}

const workers: SealWorker[] = [];
const poolSize = Math.max(1, Math.min(MAX_WORKERS, availableParallelism() - 1));
let nextId = 1;

/**
 * An idle worker if there is one, else a new one while the pool has room, else the least busy. A
 * worker that died is dropped from the pool and replaced when next needed.
 */
function pickWorker(): SealWorker {
  const least = workers.reduce<SealWorker | undefined>((a, b) => (a && a.load <= b.load ? a : b), undefined);
  if (least && (least.load === 0 || workers.length >= poolSize)) return least;
  const w = new SealWorker((dead) => {
    const i = workers.indexOf(dead);
    if (i >= 0) workers.splice(i, 1);
  });
  workers.push(w);
  return w;
}

/**
 * The memory of each running DARE worker thread (none before the first long stream), for tests and
 * diagnostics. Each worker collects its garbage after every 4 MiB it seals and when its last stream
 * closes, so `arrayBuffers` stays within a few MiB of the batches it holds.
 */
export async function dareWorkerMemory(): Promise<DareWorkerMemory[]> {
  const figures = await Promise.all(workers.map((w) => w.memory()));
  return figures.filter((m): m is DareWorkerMemory => m !== undefined);
}

/** Options of {@link dareEncryptOffThread}: as {@link createDareEncryptStream}'s, without buffering. */
export type DareOffThreadOptions = Pick<DareEncryptOptions, 'cipher' | 'nonce'>;

/**
 * DARE 2.0-encrypts the chunks of `source` on a worker thread and yields the encrypted stream, in
 * pieces of up to 16 packages. Same bytes as {@link createDareEncryptStream} with the same key and
 * nonce. For long bodies: each 1 MiB batch costs a copy and two messages, which a stream of a few
 * packages does not repay.
 *
 * At most three batches of a stream are with the worker at a time, so memory is bounded whatever the
 * source's pace. `key` is validated and copied now (the caller may zero its own); the copy moves to the
 * worker, which zeroes it when the stream ends, fails or is abandoned. Bad key, nonce or cipher throw a
 * CryptoError now; `dare/too-large` is thrown from the iteration past 2^48 bytes.
 */
export function dareEncryptOffThread(
  source: AsyncIterable<Uint8Array>,
  key: Uint8Array,
  options: DareOffThreadOptions = {},
): AsyncGenerator<Buffer> {
  const cipher = cipherId(options.cipher);
  const nonce = Buffer.from(checkNonce(options.nonce) ?? secureRandomBytes(12));
  const own = copyKey(key);
  const sealed = sealOnWorker(source, own, cipher, nonce);
  // Once started, the generator hands the copy to the worker and zeroes it here; closing it before it
  // starts never runs its body, so the copy is zeroed on the way out.
  const close = sealed.return.bind(sealed);
  sealed.return = (value) => {
    own.fill(0);
    return close(value);
  };
  return sealed;
}

function lend(sealed: Buffer): Buffer {
  lent.add(sealed.buffer as ArrayBuffer);
  return sealed;
}

async function* sealOnWorker(
  source: AsyncIterable<Uint8Array>,
  key: Buffer,
  cipher: number,
  nonce: Buffer,
): AsyncGenerator<Buffer> {
  const worker = pickWorker();
  const id = nextId++;
  worker.open(id, key, cipher, nonce);
  const inFlight: Promise<Buffer>[] = [];
  let seq = 0;
  // Plaintext is copied into a batch laid out as sealed packages will be (a gap for each header and
  // tag), and the worker seals it in place: one allocation and one copy per batch on this thread.
  const send = (batch: Buffer, length: number, final: boolean): void => {
    const packages = Math.ceil(length / DARE_PAYLOAD_SIZE);
    if (seq + packages - 1 > MAX_SEQUENCE) {
      throw dareError('dare/too-large', 'a DARE stream holds at most 2^32 packages');
    }
    const sealed = worker.seal(id, batch, length, seq, final, length + packages * DARE_OVERHEAD);
    sealed.catch(() => {}); // awaited in order below; this only keeps an abandoned one quiet
    inFlight.push(sealed);
    seq += packages;
  };
  try {
    let batch = takeBatch();
    let filled = 0; // plaintext bytes in the batch
    for await (const chunk of source) {
      let at = 0;
      while (at < chunk.length) {
        // A full batch goes out only once more input exists, so the last batch is known to be final.
        if (filled === BATCH_PACKAGES * DARE_PAYLOAD_SIZE) {
          await worker.room();
          send(batch, filled, false);
          batch = takeBatch();
          filled = 0;
          if (inFlight.length > DEPTH) yield lend(await inFlight.shift()!);
        }
        const inPackage = filled % DARE_PAYLOAD_SIZE;
        const n = Math.min(chunk.length - at, DARE_PAYLOAD_SIZE - inPackage);
        const to =
          ((filled - inPackage) / DARE_PAYLOAD_SIZE) * DARE_PACKAGE_SIZE + DARE_HEADER_SIZE + inPackage;
        batch.set(chunk.subarray(at, at + n), to);
        filled += n;
        at += n;
      }
    }
    if (filled > 0) {
      await worker.room();
      send(batch, filled, true);
    }
    while (inFlight.length > 0) yield lend(await inFlight.shift()!);
  } finally {
    worker.close(id);
  }
}
