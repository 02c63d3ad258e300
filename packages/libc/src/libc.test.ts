// The C library through koffi: loaded once; malloc_trim available on this glibc Linux (the object
// store's idle collection relies on it; elsewhere it reports false and nothing is trimmed).
import { expect, it } from 'vitest';
import { libc, mallocTrim, tuneMalloc } from './libc.js';

it.runIf(process.platform === 'linux')('loads libc once and calls malloc_trim', () => {
  const first = libc();
  expect(first).toBeDefined();
  expect(libc()).toBe(first);
  expect(mallocTrim()).toBe(true);
  expect(mallocTrim()).toBe(true);
});

it.runIf(process.platform === 'linux')('sets the arena limit and the mmap threshold through mallopt', () => {
  expect(tuneMalloc({ arenaMax: 2, mmapThreshold: 128 * 1024 })).toBe(true);
});
