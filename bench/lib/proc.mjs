// Child processes of the benchmark (peers and reference servers), run by @kms-chain/tools' launcher:
// spawn a Node script and wait for the line that says where it listens.
import { execFile } from 'node:child_process';
import { startProc } from '@kms-chain/tools';

/**
 * Runs `node <args>` and resolves once its output matches `ready`, with { name, proc, child, match }.
 * Output goes to `log` (a file) when given, else only its last 64 KiB are kept for error messages.
 * A child that exits or stays silent past `timeoutMs` is killed and the promise rejects.
 */
export async function startNode(name, args, { ready, env = {}, log, timeoutMs = 120_000 }) {
  const proc = startProc(process.execPath, args, { env, ...(log ? { log } : { keep: 65_536 }) });
  try {
    const match = await proc.waitFor(ready, timeoutMs);
    return { name, proc, child: proc.child, match };
  } catch (err) {
    await proc.stop('SIGKILL');
    throw new Error(`${name}: ${err.message}`);
  }
}

/**
 * Writes every dirty page to disk (`sync`), so a measurement does not pay for the write-back of the one
 * before it — s3rver, for one, never fsyncs, and its files would otherwise be flushed during the next
 * configuration's round. Resolves even where `sync` is missing.
 */
export function settleDisk() {
  return new Promise((resolve) => execFile('sync', () => resolve()));
}
