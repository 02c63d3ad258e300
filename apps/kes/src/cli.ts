const usage = `Usage:
    kes [options] <command>

Commands:
    server                   Start a KES server.
    key                      Manage cryptographic keys.
    policy                   Manage KES policies.
    identity                 Manage KES identities.
    tool                     Run specific key and identity management tools.

This build is a skeleton: the commands arrive with the kes issue.
`;

/** Runs the `kes` command line and resolves to the process exit code. */
export async function main(_args: string[]): Promise<number> {
  process.stderr.write(usage);
  return 2;
}
