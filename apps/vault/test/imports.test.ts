// The source's imports point one way: no file reaches itself again through what it imports
// (type-only imports included — they tie the files just as tightly for a reader).
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

function localImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'(\.{1,2}\/[^']+)'/gm))
    out.push(resolve(dirname(file), m[1]!.replace(/\.js$/, '.ts')));
  return out;
}

/** Every cycle found by depth-first search, each as the list of files around it. */
function cycles(files: string[]): string[][] {
  const graph = new Map(files.map((f) => [f, localImports(f)]));
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (f: string) => {
    state.set(f, 'open');
    stack.push(f);
    for (const next of graph.get(f) ?? []) {
      if (state.get(next) === 'open') found.push(stack.slice(stack.indexOf(next)));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of files) if (!state.has(f)) visit(f);
  return found;
}

it('apps/vault/src has no import circle', () => {
  const files = sourceFiles(SRC);
  expect(files.length).toBeGreaterThan(20);
  expect(cycles(files).map((c) => c.map((f) => relative(SRC, f)).join(' -> '))).toEqual([]);
});

it('the circle finder sees a circle, type-only imports included', () => {
  const dir = mkdtempSync(join(tmpdir(), 'imports-'));
  try {
    writeFileSync(join(dir, 'a.ts'), "import { b } from './b.js';\nexport const a = b;\n");
    writeFileSync(join(dir, 'b.ts'), "import type { C } from './c.js';\nexport const b: C = 1;\n");
    writeFileSync(join(dir, 'c.ts'), "export type { A } from './a.js';\nexport type C = number;\n");
    const found = cycles(sourceFiles(dir)).map((c) => c.map((f) => relative(dir, f)));
    expect(found).toEqual([['a.ts', 'b.ts', 'c.ts']]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
