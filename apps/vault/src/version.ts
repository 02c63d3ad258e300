/** The Vault release whose wire behaviour this server follows (reported in status and health). */
export const VAULT_VERSION = '1.15.2';
export const BUILD_DATE = '2023-11-06T11:33:28Z';
