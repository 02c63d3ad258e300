// Memory handed back once the server goes quiet. Under load V8 lets dead buffers (request and
// response chunks, file reads, cipher outputs) pile up between collections — it collects when ~64 MiB
// of them exist — and its heap grows. When requests stop nothing allocates, so no collection comes and
// all of it stays resident: after a 60 s soak 25–40 MiB of dead buffers waited and the heap held 30
// MiB more than its live data. One full collection after a quiet spell frees the buffers and compacts
// the heap (minio's RSS after the soak fell by 35 MiB). Then glibc is asked to hand back the holes
// the freed native buffers left in its heap (malloc_trim): freeing alone left ~100 MiB resident.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { mallocTrim } from '@kms-chain/libc';

/** Options of {@link IdleCollector}. */
export interface IdleCollectorOptions {
  /** How long after the last activity the collection runs, in ms. */
  quietMs: number;
  /** Runs the collection; {@link releaseIdleMemory} in the server. */
  collect: () => void;
}

/**
 * Runs `collect` once `quietMs` have passed without {@link touch}, then waits for the next activity:
 * one collection per quiet spell, none while idle. The timer never keeps the process alive.
 */
export class IdleCollector {
  readonly #quietMs: number;
  readonly #collect: () => void;
  #last = 0;
  #timer: NodeJS.Timeout | undefined;
  /** Collections run so far. */
  collections = 0;

  constructor(options: IdleCollectorOptions) {
    this.#quietMs = options.quietMs;
    this.#collect = options.collect;
  }

  /** Marks activity (a request starting or ending): a collection follows the next quiet spell. */
  touch(): void {
    this.#last = performance.now();
    if (this.#timer === undefined) this.#arm(this.#quietMs);
  }

  /** Drops a pending collection. */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(ms: number): void {
    this.#timer = setTimeout(() => this.#fire(), ms);
    this.#timer.unref();
  }

  #fire(): void {
    const quiet = performance.now() - this.#last;
    if (quiet < this.#quietMs) {
      this.#arm(this.#quietMs - quiet);
      return;
    }
    this.#timer = undefined;
    this.collections++;
    this.#collect();
  }
}

let gc: (() => void) | undefined;

/** The idle collection: V8's full collection, then malloc_trim where glibc offers it. */
export function releaseIdleMemory(): void {
  fullCollection();
  mallocTrim();
}

/**
 * A full garbage collection of this isolate. V8 offers it only under --expose-gc; the function is
 * taken from a fresh context while the flag is on, and the flag is turned off again at once, so no
 * other context (a vm sandbox, a later worker) gets a global `gc`.
 */
export function fullCollection(): void {
  if (gc === undefined && typeof globalThis.gc === 'function') gc = globalThis.gc as () => void;
  if (gc === undefined) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
    setFlagsFromString('--no-expose-gc');
  }
  gc();
}
