// Load shapes shared by every figure: a fixed batch over N workers, and a timed loop over N workers.

/** Seconds since `t0` (from performance.now()). */
export function since(t0) {
  return (performance.now() - t0) / 1000;
}

/** Runs `op(i)` for i in [0, total) from `width` concurrent workers; resolves with the seconds taken. */
export async function timeBatch(total, width, op) {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(width, total) }, async () => {
      while (next < total) await op(next++);
    }),
  );
  return since(t0);
}

/**
 * Runs `op(i)` from `width` workers until `seconds` have passed; resolves with operations per second.
 * A failing operation stops the run: a figure built on failed requests would not be a figure.
 */
export async function opsPerSecond(seconds, width, op) {
  let seq = 0;
  let done = 0;
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (performance.now() < deadline) {
        await op(seq++);
        done++;
      }
    }),
  );
  return done / since(t0);
}
