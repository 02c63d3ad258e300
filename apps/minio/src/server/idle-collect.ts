// Memory handed back once the server goes quiet. Under load V8 lets dead buffers (request and
// response chunks, file reads, cipher outputs) pile up between collections — it collects when ~64 MiB
// of them exist — and its heap grows. When requests stop nothing allocates, so no collection comes and
// all of it stays resident: after a 60 s soak 25–40 MiB of dead buffers waited and the heap held 30
// MiB more than its live data. One full collection after a quiet spell frees the buffers and compacts
// the heap (minio's RSS after the soak fell by 35 MiB). Then glibc is asked to hand back the holes
// the freed native buffers left in its heap (malloc_trim): freeing alone left ~100 MiB resident.
//
// A second, settling step follows a few seconds later if the server is still quiet. The young
// generation grows to 32 MiB under load and V8 shrinks it only at a collection that finds the
// allocation rate low over its last 5 s — never the first one, which comes 2 s after a burst; left
// alone it shrank 30–45 s later. And V8 frees dead buffers' memory on a background thread after a
// collection, so a trim right after it misses some: after a soak a later malloc_trim still handed
// back 15 MiB. The settling step (a young-generation collection, then malloc_trim again) takes both.
import { setFlagsFromString } from 'node:v8';
import { releaseSpareBatches } from '@kms-chain/crypto';
import { mallocTrim } from '@kms-chain/libc';
import { collector } from '../storage/streamed-collect.js';

/** Options of {@link IdleCollector}. */
export interface IdleCollectorOptions {
  /** How long after the last activity the collection runs, in ms. */
  quietMs: number;
  /** Runs the collection; {@link releaseIdleMemory} in the server. */
  collect: () => void;
  /** Runs `settleMs` after the collection if nothing happened meanwhile; {@link settleIdleMemory}. */
  settle?: (() => void) | undefined;
  /** How long after the collection the settling step runs, in ms (default 6000). */
  settleMs?: number | undefined;
}

/**
 * Runs `collect` once `quietMs` have passed without {@link touch}, then `settle` (if given) `settleMs`
 * later unless {@link touch} came first, then waits for the next activity: one collection and one
 * settling step per quiet spell, none while idle. The timer never keeps the process alive.
 */
export class IdleCollector {
  readonly #quietMs: number;
  readonly #collect: () => void;
  readonly #settle: (() => void) | undefined;
  readonly #settleMs: number;
  #last = 0;
  #collectedAt = 0;
  #timer: NodeJS.Timeout | undefined;
  /** Collections run so far. */
  collections = 0;
  /** Settling steps run so far. */
  settlings = 0;

  constructor(options: IdleCollectorOptions) {
    this.#quietMs = options.quietMs;
    this.#collect = options.collect;
    this.#settle = options.settle;
    this.#settleMs = options.settleMs ?? 6000;
  }

  /** Marks activity (a request starting or ending): a collection follows the next quiet spell. */
  touch(): void {
    this.#last = performance.now();
    if (this.#timer === undefined) this.#arm(this.#quietMs, () => this.#fire());
  }

  /** Drops a pending collection. */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(ms: number, step: () => void): void {
    this.#timer = setTimeout(step, ms);
    this.#timer.unref();
  }

  #fire(): void {
    const quiet = performance.now() - this.#last;
    if (quiet < this.#quietMs) {
      this.#arm(this.#quietMs - quiet, () => this.#fire());
      return;
    }
    this.#timer = undefined;
    this.collections++;
    this.#collect();
    if (this.#settle === undefined) return;
    this.#collectedAt = performance.now();
    this.#arm(this.#settleMs, () => this.#fireSettle());
  }

  // Activity since the collection: no settling now; the next quiet spell brings a new collection.
  #fireSettle(): void {
    this.#timer = undefined;
    if (this.#last > this.#collectedAt) {
      this.#arm(Math.max(0, this.#quietMs - (performance.now() - this.#last)), () => this.#fire());
      return;
    }
    this.settlings++;
    this.#settle?.();
  }
}

/**
 * The idle collection: `dropCaches` (the server's: the store's meta.json cache), the DARE batches
 * kept for reuse let go (8 MiB after any long encrypted body), V8's full collection, then
 * malloc_trim where glibc offers it.
 */
export function releaseIdleMemory(dropCaches: () => void = () => {}): void {
  dropCaches();
  releaseSpareBatches();
  fullCollection();
  mallocTrim();
}

/**
 * The settling step after a quiet spell: a young-generation collection, which V8 — seeing almost no
 * allocation since the last one — ends by shrinking the young generation, then malloc_trim again for
 * the buffers freed in the background since the full collection.
 */
export function settleIdleMemory(): void {
  collector()({ type: 'minor' });
  mallocTrim();
}

/**
 * A full, compacting garbage collection of this isolate. V8's full collections move objects only off
 * the pages it picks as fragmented, and after a soak round its old generation held 30.7 MiB of pages
 * for 23.5 MiB of live objects, 5 MiB more each round; compacting every page (the flag is on for this
 * one collection) left 21.7 for 21.1, and minio's RSS after idle 10 MiB lower (bench/README.md,
 * memory).
 */
export function fullCollection(): void {
  const collect = collector();
  setFlagsFromString('--compact-on-every-full-gc');
  try {
    collect();
  } finally {
    setFlagsFromString('--no-compact-on-every-full-gc');
  }
}
