// Progress on stderr: a redrawn bar on a terminal, one line per step elsewhere (CI logs, pipes).

/** A progress indicator over `total` steps; `step(label)` marks the start of the next one. */
export function createProgress(total, stream = process.stderr) {
  let done = 0;
  const t0 = performance.now();
  const isTty = Boolean(stream.isTTY);
  const width = 24;
  const line = (label) => {
    const filled = Math.round((done / total) * width);
    const elapsed = ((performance.now() - t0) / 1000).toFixed(0);
    return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${elapsed}s ${label}`;
  };
  return {
    step(label) {
      if (isTty) {
        const cols = stream.columns ?? 100;
        stream.write(`\r\x1b[K${line(label).slice(0, cols - 1)}`);
      } else stream.write(`${line(label)}\n`);
      done = Math.min(total, done + 1);
    },
    finish() {
      done = total;
      if (isTty) stream.write(`\r\x1b[K${line('done')}\n`);
      else stream.write(`${line('done')}\n`);
    },
  };
}
