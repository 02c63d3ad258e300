// The in-memory listing index of each bucket: every key with what a listing shows of it, and the keys
// in S3's byte order, kept sorted through writes instead of re-sorted. Built on a bucket's first use from
// its meta.json files; a bucket the startup sweep has not reached yet is swept as its index is built.

import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readTextIfExists } from './atomic-file.js';
import { compareKeys } from './keys.js';
import { type Layout, SHARD } from './layout.js';
import { type SweepReport, sweepBucket } from './sweep.js';
import type { ObjectMeta, ObjectSummary } from './types.js';

export interface BucketIndex {
  entries: Map<string, ObjectSummary>;
  sorted: string[] | null;
}

/** Position of the first sorted key not below `key`. */
function lowerBoundOf(sorted: string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKeys(sorted[mid]!, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Adds a new key to the sorted list (when built). */
export function insertSorted(index: BucketIndex, key: string): void {
  if (index.sorted) index.sorted.splice(lowerBoundOf(index.sorted, key), 0, key);
}

/** Removes a key from the sorted list (when built). */
export function removeSorted(index: BucketIndex, key: string): void {
  if (!index.sorted) return;
  const at = lowerBoundOf(index.sorted, key);
  if (index.sorted[at] === key) index.sorted.splice(at, 1);
}

/** The keys of the index in byte order, sorting them once on first use. */
export function sortedKeys(index: BucketIndex): string[] {
  if (!index.sorted) index.sorted = [...index.entries.keys()].sort(compareKeys);
  return index.sorted;
}

/** What a listing shows of an object. */
export function summaryOf(meta: ObjectMeta): ObjectSummary {
  return {
    size: meta.size,
    etag: meta.etag,
    lastModified: meta.lastModified,
    storageClass: meta.storageClass,
  };
}

/**
 * The index of every bucket, each loaded once. Every write, delete and listing of a bucket awaits its
 * index, so none of them can race that bucket's startup sweep.
 */
export class BucketIndexes {
  readonly #indexes = new Map<string, Promise<BucketIndex>>();
  /** Buckets whose object folders the startup sweep has not cleaned yet; loading their index does. */
  readonly #unswept = new Set<string>();

  constructor(
    private readonly layout: Layout,
    private readonly report: SweepReport,
  ) {}

  /** Marks buckets as not swept yet: their first load sweeps them. */
  markUnswept(buckets: string[]): void {
    for (const bucket of buckets) this.#unswept.add(bucket);
  }

  get(bucket: string): Promise<BucketIndex> {
    let index = this.#indexes.get(bucket);
    if (!index) {
      index = this.#load(bucket);
      this.#indexes.set(bucket, index);
      index.catch(() => this.#indexes.delete(bucket));
    }
    return index;
  }

  /** Forgets a deleted bucket's index. */
  drop(bucket: string): void {
    this.#indexes.delete(bucket);
  }

  async #load(bucket: string): Promise<BucketIndex> {
    let metas: ObjectMeta[];
    if (this.#unswept.has(bucket)) {
      metas = await sweepBucket(this.layout, bucket, this.report);
      this.#unswept.delete(bucket);
    } else {
      metas = await scanBucket(this.layout.bucketDir(bucket));
    }
    const entries = new Map<string, ObjectSummary>();
    for (const meta of metas) entries.set(meta.key, summaryOf(meta));
    return { entries, sorted: null };
  }
}

/** The readable meta.json of every object of a bucket. */
async function scanBucket(dir: string): Promise<ObjectMeta[]> {
  const metas: ObjectMeta[] = [];
  for (const shard of await readdir(dir)) {
    if (!SHARD.test(shard)) continue;
    const hashes = await readdir(join(dir, shard)).catch(() => [] as string[]);
    const texts = await Promise.all(
      hashes.map((h) => readTextIfExists(join(dir, shard, h, 'meta.json')).catch(() => undefined)),
    );
    for (const text of texts) {
      if (text === undefined) continue;
      try {
        metas.push(JSON.parse(text) as ObjectMeta);
      } catch {
        // A meta.json that does not parse is not listed (see sweep.ts).
      }
    }
  }
  return metas;
}
