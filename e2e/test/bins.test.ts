// The three programs are on PATH after `npm install`: root node_modules/.bin holds vault, kes and
// minio, and each runs its compiled CLI.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const binDir = join(import.meta.dirname, '..', '..', 'node_modules', '.bin');

describe.each(['vault', 'kes', 'minio'])('%s bin', (name) => {
  it('is linked into node_modules/.bin and runs', () => {
    const bin = join(binDir, name);
    expect(existsSync(bin)).toBe(true);
    const run = spawnSync(bin, [], { encoding: 'utf8', timeout: 20_000 });
    expect(run.error).toBeUndefined();
    expect(run.status).toBe(2);
    expect(run.stderr.toLowerCase()).toContain('usage');
  });
});
