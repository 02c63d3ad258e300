// One vitest run covers every workspace. Each workspace is a project named after its folder
// (`vitest run --project crypto`). Workspace packages resolve to their TypeScript sources through
// the `@kms-chain/source` export condition, so tests never need a prior build.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

const root = import.meta.dirname;
const sourceCondition = '@kms-chain/source';

function workspaces(): string[] {
  const dirs: string[] = [];
  for (const group of ['packages', 'apps']) {
    for (const name of readdirSync(join(root, group))) dirs.push(join(group, name));
  }
  dirs.push('e2e', 'bench', 'tools');
  return dirs.filter((dir) => existsSync(join(root, dir, 'package.json')));
}

export default defineConfig({
  test: {
    projects: workspaces().map((dir) => ({
      resolve: { conditions: [sourceCondition, 'node', 'import', 'default'] },
      ssr: { resolve: { conditions: [sourceCondition, 'node', 'import', 'default'] } },
      test: {
        name: dir.split('/').pop()!,
        root: join(root, dir),
        include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
        environment: 'node',
        testTimeout: 30_000,
        hookTimeout: 60_000,
      },
    })),
  },
});
