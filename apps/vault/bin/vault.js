#!/usr/bin/env node
// The `vault` command. The TypeScript sources compile to dist/ on `npm install` (root prepare).
// File storage makes every durable write an fsync on libuv's thread pool; its default of 4
// threads would cap concurrent writes (and logins) at four fsyncs in flight. Set before the pool
// starts, i.e. before the CLI (and the server) is loaded.
process.env.UV_THREADPOOL_SIZE ??= '64';
const { main } = await import('../dist/cli.js');

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
