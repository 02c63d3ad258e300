// V8's collector, reached from inside the process, and the young-generation collection that body
// streaming pays for. Every body chunk — a request chunk staged to disk, a file read sent back — is a
// Buffer that dies as soon as it is written, yet its memory is outside V8's heap: V8 frees it only at
// a collection, and during one long transfer those come when ~32–48 MiB of dead chunks have piled up
// (process.memoryUsage().arrayBuffers under a 1 GiB PUT or GET). A young-generation collection after
// every STREAMED_COLLECT_BYTES streamed bounds the pile: after a load round, 1 GiB PUT+GET peaks
// 156 / 159 / 167 / 165 MiB (plain PUT, GET, SSE PUT, GET) against 156 / 169 / 175 / 173 without
// (bench/README.md, memory). It is cheap — nearly everything in the young generation is dead by then:
// bench:minio-sse run beside the same bench without it gave the same MiB/s and ops/s within noise.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type Gc = (options?: { type: 'minor' | 'major' }) => void;
let gc: Gc | undefined;

/**
 * This isolate's `gc`. V8 offers it only under --expose-gc; the function is taken from a fresh context
 * while the flag is on, and the flag is turned off again at once, so no other context (a vm sandbox, a
 * later worker) gets a global `gc`.
 */
export function collector(): Gc {
  if (gc === undefined && typeof globalThis.gc === 'function') gc = globalThis.gc as Gc;
  if (gc === undefined) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as Gc;
    setFlagsFromString('--no-expose-gc');
  }
  return gc;
}

/** Body bytes streamed between two young-generation collections. */
export const STREAMED_COLLECT_BYTES = 8 * 1024 * 1024;
let streamed = 0;

/** Counts `bytes` of body data streamed (staged or read back); collects the young generation every 8 MiB. */
export function countStreamed(bytes: number): void {
  streamed += bytes;
  if (streamed < STREAMED_COLLECT_BYTES) return;
  streamed = 0;
  collector()({ type: 'minor' });
}
