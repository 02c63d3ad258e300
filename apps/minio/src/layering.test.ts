// The object store's layers, top to bottom: imports point down only, and no files import each other in
// a circle (inside a layer either). A layer never imports one of the same rank (kms and storage know
// nothing of each other; config and errors neither). storage/layering.test.ts keeps storage to itself.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const src = import.meta.dirname;
const IMPORT = /^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm;

/** Rank of each layer (a folder, or a file named like one): a file imports its own layer or lower ranks. */
const LAYERS: Array<[layer: string, rank: number]> = [
  ['cli', 8],
  ['server', 7],
  ['admin', 6],
  ['audit', 6],
  ['s3', 5],
  ['sse', 4],
  ['kms', 3],
  ['storage', 3],
  ['config', 2],
  ['errors', 2],
  ['http', 2],
];

function layerOf(file: string): [string, number] {
  const top = file.split('/')[0]!;
  const found = LAYERS.find(([name]) => top === name || top === `${name}.ts`);
  if (!found) throw new Error(`${file}: in no layer; add its folder to LAYERS`);
  return found;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
    .map((e) => relative(src, join(e.parentPath, e.name)))
    .sort();
}

/** The files of src/ that `file` imports (relative imports only; `.js` specifiers name `.ts` files). */
function importsOf(file: string): string[] {
  const text = readFileSync(join(src, file), 'utf8');
  return [...text.matchAll(IMPORT)]
    .map((m) => m[1]!)
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => relative(src, resolve(src, dirname(file), spec)).replace(/\.js$/, '.ts'));
}

/** Upward or sideways imports of a graph: `from -> to` for each edge the ranks forbid. */
export function layerViolations(graph: Map<string, string[]>): string[] {
  const bad: string[] = [];
  for (const [from, tos] of graph) {
    const [layer, rank] = layerOf(from);
    for (const to of tos) {
      const [toLayer, toRank] = layerOf(to);
      if (toLayer !== layer && toRank >= rank) bad.push(`${from} -> ${to}`);
    }
  }
  return bad;
}

/** Each import circle of a graph once, as its files in order. */
export function circles(graph: Map<string, string[]>): string[][] {
  const found = new Map<string, string[]>();
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') {
        const circle = stack.slice(stack.indexOf(next));
        found.set([...circle].sort().join(' '), circle);
      } else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return [...found.values()];
}

describe('minio layering', () => {
  const files = sourceFiles(src);
  const graph = new Map(files.map((f) => [f, importsOf(f)]));

  it('finds the layers and their imports', () => {
    expect(files).toContain('s3/routes.ts');
    expect(graph.get('server.ts')).toContain('s3/routes.ts');
  });

  it.each(files)('%s imports only its own layer or lower ones', (file) => {
    expect(layerViolations(new Map([[file, graph.get(file)!]]))).toEqual([]);
  });

  it('has no import circle', () => {
    expect(circles(graph)).toEqual([]);
  });

  it('catches an upward import and a circle', () => {
    const bad = new Map([
      ['sse/hooks.ts', ['s3/context.ts']],
      ['s3/context.ts', ['sse/hooks.ts']],
      ['kms/kms.ts', ['storage/types.ts']],
    ]);
    expect(layerViolations(bad)).toEqual(['sse/hooks.ts -> s3/context.ts', 'kms/kms.ts -> storage/types.ts']);
    expect(circles(bad)).toEqual([['sse/hooks.ts', 's3/context.ts']]);
  });
});
