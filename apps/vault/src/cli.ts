const usage = `Usage: vault <command> [args]

Common commands:
    server      Start a Vault server
    operator    Perform operator-specific tasks (init, unseal)
    secrets     Interact with secrets engines
    auth        Interact with auth methods
    policy      Interact with policies
    read        Read data and retrieves secrets
    write       Write data, configuration, and secrets

This build is a skeleton: the commands arrive with the vault issue.
`;

/** Runs the `vault` command line and resolves to the process exit code. */
export async function main(_args: string[]): Promise<number> {
  process.stderr.write(usage);
  return 2;
}
