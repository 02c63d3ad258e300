// Storage is the lowest layer of the object store: it imports Node, packages and its own files only,
// never the S3, SSE or KMS layers above it (their errors and types map onto storage's, not back).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const here = import.meta.dirname;
const IMPORT = /^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm;

describe('storage layering', () => {
  const files = readdirSync(here).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
  it.each(files)('%s imports nothing from a layer above', (file) => {
    const text = readFileSync(join(here, file), 'utf8');
    const upward = [...text.matchAll(IMPORT)].map((m) => m[1]!).filter((spec) => spec.startsWith('..'));
    expect(upward).toEqual([]);
  });
});
