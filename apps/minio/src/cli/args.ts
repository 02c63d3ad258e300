// What every `minio` subcommand does with its arguments before its own work.

/**
 * Runs `parse`; on a parse error prints it with `usage` to stderr and yields exit code 2, on --help
 * prints `usage` to stdout and yields 0. Otherwise yields the parsed arguments.
 */
export function parseOrExit<T extends { values: { help?: boolean } }>(
  parse: () => T,
  usage: string,
): T | number {
  let parsed: T;
  try {
    parsed = parse();
  } catch (err) {
    process.stderr.write(`Error: ${(err as Error).message}\n\n${usage}`);
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(usage);
    return 0;
  }
  return parsed;
}
