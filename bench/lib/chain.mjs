// The chain under test — @kms-chain/tools' startChain: vault, kes and minio from their built bins,
// all TLS on loopback, set up the way `npm start` does it (init + unseal, kv, approle, policy, role,
// KES config, master key) — on free ports in a directory of its own. Unlike `npm start`, minio runs
// without auto-encryption so the plaintext rows stay plaintext; SSE is asked for per request.
import { join } from 'node:path';
import { KEY_NAME, startChain as start } from '@kms-chain/tools';

/** The guide's master key name, which the KES policy lets minio use. */
export const CHAIN_KEY_NAME = KEY_NAME;

/**
 * Starts the chain in `dir` (created; holds the PKI, data and logs/). `mark(phase)` is called as
 * each step completes, for the cold-start breakdown. `profileDir` runs each server under
 * `node --cpu-prof` writing to `<profileDir>/<server>/` (written when the server exits). Resolves
 * with the tools' Chain plus `creds` ([access key, secret key]); on failure stops what it started
 * and rejects naming the server and its log.
 */
export async function startChain(dir, mark = () => {}, { profileDir } = {}) {
  const credentials = { accessKey: 'bench-access', secretKey: 'bench-secret-key' };
  const chain = await start({
    dir,
    credentials,
    ...(profileDir
      ? { nodeFlags: (name) => ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, name)}`] }
      : {}),
    onPhase: (phase) => mark(phase),
  });
  chain.creds = [credentials.accessKey, credentials.secretKey];
  return chain;
}

/** The pid of each server of the chain by name (the first KES as `kes`). */
export function chainPids(chain) {
  return { vault: chain.vault.child.pid, kes: chain.kes[0].child.pid, minio: chain.minio.child.pid };
}
