// `npm start`: runs the chain (vault -> kes -> minio) on loopback. Until the three apps can serve,
// it says which are missing and exits non-zero.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const missing = [];
for (const name of ['vault', 'kes', 'minio']) {
  const run = spawnSync(join(root, 'node_modules', '.bin', name), ['--help'], { encoding: 'utf8' });
  if (run.status !== 0 || /skeleton/.test(run.stderr)) missing.push(name);
}
if (missing.length > 0) {
  process.stderr.write(
    `npm start: the chain cannot run yet; not implemented: ${missing.join(', ')}.\n` +
      'See the open issues for apps/vault, apps/kes and apps/minio.\n',
  );
  process.exit(1);
}
process.stderr.write(
  'npm start: all three servers are present; the one-command start arrives with the e2e issue.\n',
);
process.exit(1);
