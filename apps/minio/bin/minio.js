#!/usr/bin/env node
// The `minio` command. The TypeScript sources compile to dist/ on `npm install` (root prepare).
import { main } from '../dist/cli.js';

// A server's log readers may go away (a closed pipe, `| head`): losing the log must not kill the
// server, so EPIPE on stdout/stderr is ignored; any other stream error still surfaces.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code !== 'EPIPE') throw err;
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`Error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
