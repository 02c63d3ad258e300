// Reads the V8 CPU profiles the chain's servers write under `--profile` (node --cpu-prof) and
// names the hot functions: self time per function, as a share of the samples that were not idle.
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';

/**
 * The `top` functions by self time in the newest .cpuprofile of `dir`, as
 * { function, where, selfPercent }; an empty list when there is no profile.
 */
export async function hotFunctions(dir, root, top = 12) {
  let files;
  try {
    files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile')).sort();
  } catch {
    return [];
  }
  const newest = files.at(-1);
  if (!newest) return [];
  const profile = JSON.parse(await readFile(join(dir, newest), 'utf8'));
  const byFunction = new Map();
  let total = 0;
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)' || !node.hitCount) continue;
    const file = url ? (url.startsWith('file://') ? relative(root, new URL(url).pathname) : url) : '';
    const key = `${functionName || '(anonymous)'}\t${file}${file ? `:${lineNumber + 1}` : ''}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + node.hitCount);
    total += node.hitCount;
  }
  return [...byFunction.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([key, hits]) => {
      const [fn, where] = key.split('\t');
      return { function: fn, where, selfPercent: Math.round((hits / total) * 1000) / 10 };
    });
}
