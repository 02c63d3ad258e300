// The two ways a command fails. The runner (runner.ts) renders both the way its tool does.

/**
 * The command line is wrong: an unknown or malformed flag, a missing or extra argument. The runner
 * prints the message in the tool's usage-error form and exits with the tool's usage exit code.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * The command line was right but the work failed (a server said no, a file is missing). The runner
 * prints `Error: <message>` on stderr and exits 1 — as it does for any other error a command throws.
 */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}
