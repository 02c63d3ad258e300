// A private build of the `kes` CLI for tests that run it as a process. It goes to a per-process
// directory under apps/kes/node_modules/.cache (ignored by git; node_modules resolution still finds
// the workspace's dependencies), so tests never rewrite apps/kes/dist while another test or a
// user runs the real bin from it.
import { execFile } from 'node:child_process';
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const appDir = join(import.meta.dirname, '..', '..');
let built: Promise<{ launcher: string; binDir: string }> | undefined;
const outDir = (): string => join(appDir, 'node_modules', '.cache', `kes-test-${process.pid}`);

/** Builds once per test process; resolves to a launcher script and a directory holding a `kes` command. */
export function buildKes(): Promise<{ launcher: string; binDir: string }> {
  built ??= (async () => {
    const out = outDir();
    await promisify(execFile)('npx', ['tsc', '-p', 'tsconfig.build.json', '--outDir', out], { cwd: appDir });
    const launcher = join(out, 'kes.mjs');
    await writeFile(
      launcher,
      `import { main } from './cli.js';
main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write('Error: ' + (err instanceof Error ? err.message : String(err)) + '\\n'); process.exitCode = 1; },
);
`,
    );
    const binDir = join(out, 'bin');
    await mkdir(binDir, { recursive: true });
    await writeFile(join(binDir, 'kes'), `#!/bin/sh\nexec "${process.execPath}" "${launcher}" "$@"\n`);
    await chmod(join(binDir, 'kes'), 0o755);
    return { launcher, binDir };
  })();
  return built;
}

/** Removes this process's build (call from afterAll). */
export async function removeKesBuild(): Promise<void> {
  if (!built) return;
  built = undefined;
  await rm(outDir(), { recursive: true, force: true });
}
