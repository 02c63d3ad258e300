// The C library, reached through the koffi FFI package (prebuilt binaries, no install step), for
// what Node does not expose: Vault's locked key arena (mmap, mlock, madvise) and handing freed heap
// back to the system (malloc_trim). Linux only; elsewhere, or when koffi or glibc is missing,
// callers get undefined and do without.
import { createRequire } from 'node:module';

export type Koffi = typeof import('koffi');
export type LibcHandle = ReturnType<Koffi['load']>;

let loaded: { koffi: Koffi; lib: LibcHandle } | null | undefined;

/** koffi and the loaded C library, once per process; undefined where either is unavailable. */
export function libc(): { koffi: Koffi; lib: LibcHandle } | undefined {
  if (loaded !== undefined) return loaded ?? undefined;
  loaded = null;
  if (process.platform !== 'linux') return undefined;
  let koffi: Koffi;
  try {
    koffi = createRequire(import.meta.url)('koffi') as Koffi;
  } catch {
    return undefined;
  }
  for (const name of ['libc.so.6', 'libc.so']) {
    try {
      loaded = { koffi, lib: koffi.load(name) };
      return loaded;
    } catch {
      // musl and others: try the next name
    }
  }
  return undefined;
}

let trim: ((pad: number) => number) | null | undefined;

/**
 * glibc's malloc_trim(0): returns the free memory at the top of every malloc arena and in whole
 * free pages inside them to the system. After a burst, a Node server's native heap keeps the holes
 * its freed buffers left (measured in the object store: 170 MB held by malloc for 35 MB in use);
 * this hands them back. Resolves false where it is not available (not glibc, no koffi).
 */
export function mallocTrim(): boolean {
  if (trim === undefined) {
    trim = null;
    const c = libc();
    if (c) {
      try {
        trim = c.lib.func('int malloc_trim(size_t pad)') as (pad: number) => number;
      } catch {
        // not glibc
      }
    }
  }
  if (!trim) return false;
  trim(0);
  return true;
}

let opt: ((param: number, value: number) => number) | null | undefined;

/** glibc's mallopt parameters this package sets (malloc.h). */
const M_MMAP_THRESHOLD = -3;
const M_ARENA_MAX = -8;

/**
 * Bounds how much freed native heap a busy process can keep: at most `arenaMax` malloc arenas
 * (glibc's default is 8 per core, each keeping its own freed holes) and blocks from `mmapThreshold`
 * bytes up taken with mmap, so that they go back to the system the moment they are freed instead of
 * fragmenting an arena. Call it once, early. Resolves false where glibc is not reachable.
 */
export function tuneMalloc({
  arenaMax,
  mmapThreshold,
}: {
  arenaMax: number;
  mmapThreshold: number;
}): boolean {
  if (opt === undefined) {
    opt = null;
    const c = libc();
    if (c) {
      try {
        opt = c.lib.func('int mallopt(int param, int value)') as (param: number, value: number) => number;
      } catch {
        // not glibc
      }
    }
  }
  if (!opt) return false;
  return opt(M_ARENA_MAX, arenaMax) === 1 && opt(M_MMAP_THRESHOLD, mmapThreshold) === 1;
}
