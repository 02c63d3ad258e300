// An in-memory Io for running the CLI in process: what it prints is collected in stdout/stderr.
import type { Io } from '../../src/cli/io.js';

export interface CapturedIo extends Io {
  stdout: string;
  stderr: string;
}

export function captureIo(env: NodeJS.ProcessEnv = {}, isTTY = false): CapturedIo {
  const c: CapturedIo = {
    stdout: '',
    stderr: '',
    isTTY,
    env,
    out: (t) => {
      c.stdout += t;
    },
    err: (t) => {
      c.stderr += t;
    },
  };
  return c;
}
