// What every bin/*.js does around the CLI's main: tolerate a closed output pipe, turn main's result
// into the exit code, and print an error that escapes main.

/** The parts of `process` a bin uses; tests pass their own. */
export interface BinProcess {
  readonly argv: readonly string[];
  readonly stdout: NodeJS.EventEmitter;
  readonly stderr: NodeJS.EventEmitter & { write(text: string): unknown };
  exitCode?: number | string | null | undefined;
}

/**
 * Runs `main` with the arguments after the script name and sets the exit code to what it resolves
 * to; a rejection prints `Error: <message>` on stderr and exits 1. The exit code is set, not forced,
 * so a server keeps running until its handles close.
 *
 * A server's log readers may go away (a closed pipe, `| head`): losing the log must not kill the
 * server, so EPIPE on stdout/stderr is ignored; any other stream error is thrown.
 */
export function runBin(main: (args: string[]) => Promise<number>, proc: BinProcess = process): Promise<void> {
  for (const stream of [proc.stdout, proc.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
    });
  }
  return main(proc.argv.slice(2)).then(
    (code) => {
      proc.exitCode = code;
    },
    (err: unknown) => {
      proc.stderr.write(`Error: ${err instanceof Error ? err.message : String(err)}\n`);
      proc.exitCode = 1;
    },
  );
}
