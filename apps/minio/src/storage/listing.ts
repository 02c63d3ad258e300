// Listing: one page of a bucket's keys in byte order, with S3's prefix, delimiter and marker rules.
import { type BucketIndex, sortedKeys } from './bucket-index.js';
import { compareKeys } from './keys.js';
import type { ObjectSummary } from './types.js';

/** Options of a listing over one bucket, in S3 terms. */
export interface ListOptions {
  prefix: string;
  delimiter: string;
  /** List keys strictly after this one (marker / start-after / continuation). */
  after: string;
  maxKeys: number;
}

/** A page of a listing. */
export interface ListPage {
  objects: Array<{ key: string; summary: ObjectSummary }>;
  commonPrefixes: string[];
  isTruncated: boolean;
  /** The last key or common prefix returned, for the next marker. */
  last: string | undefined;
}

/** One page of keys in byte order, grouping by delimiter into common prefixes. */
export function listPage(index: BucketIndex, opts: ListOptions): ListPage {
  const keys = sortedKeys(index);
  const { prefix, delimiter, after, maxKeys } = opts;
  const lowerBound = (pred: (k: string) => boolean): number => {
    // First index where pred is false, for pred true-then-false over the sorted keys.
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (pred(keys[mid]!)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  let i =
    compareKeys(after, prefix) >= 0
      ? lowerBound((k) => compareKeys(k, after) <= 0)
      : lowerBound((k) => compareKeys(k, prefix) < 0);
  const page: ListPage = { objects: [], commonPrefixes: [], isTruncated: false, last: undefined };
  let count = 0;
  while (i < keys.length) {
    const key = keys[i]!;
    if (!key.startsWith(prefix)) break;
    let item: string = key;
    let isPrefix = false;
    if (delimiter !== '') {
      const at = key.indexOf(delimiter, prefix.length);
      if (at >= 0) {
        item = key.slice(0, at + delimiter.length);
        isPrefix = true;
      }
    }
    if (isPrefix && compareKeys(item, after) <= 0 && after.startsWith(item)) {
      // The marker lies inside this common prefix, which was returned on an earlier page.
      i = lowerBound((k) => compareKeys(k, item) < 0 || k.startsWith(item));
      continue;
    }
    if (count === maxKeys) {
      page.isTruncated = true;
      break;
    }
    if (isPrefix) {
      page.commonPrefixes.push(item);
      i = lowerBound((k) => compareKeys(k, item) < 0 || k.startsWith(item));
    } else {
      const summary = index.entries.get(key);
      if (summary) page.objects.push({ key, summary });
      i++;
    }
    page.last = item;
    count++;
  }
  return page;
}
