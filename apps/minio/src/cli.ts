const usage = `NAME:
  minio - High Performance Object Storage

USAGE:
  minio COMMAND [FLAGS] [ARGS...]

COMMANDS:
  server  start object storage server

This build is a skeleton: the server arrives with the minio issue.
`;

/** Runs the `minio` command line and resolves to the process exit code. */
export async function main(_args: string[]): Promise<number> {
  process.stderr.write(usage);
  return 2;
}
