// `minio --version` (`-v`; `minio version` as older MinIO releases spelled it): MinIO's first two
// lines, `minio version <v> (…)` and `Runtime: …`, with this package's version.
import { createRequire } from 'node:module';

/** This package's version, read from its package.json (two levels above src/cli and dist/cli). */
export function minioVersion(): string {
  return (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
}

export async function printVersion(): Promise<number> {
  process.stdout.write(`minio version ${minioVersion()} (kms-chain)\n`);
  process.stdout.write(`Runtime: node ${process.version} ${process.platform}/${process.arch}\n`);
  return 0;
}
