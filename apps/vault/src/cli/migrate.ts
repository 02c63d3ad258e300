// `vault operator migrate -config FILE [-start KEY] [-reset]`: copies a stopped Vault's storage
// to another backend (storage/migrate.ts), with Vault's messages and exit codes.
import { parseFlags } from '@kms-chain/cli';
import { loadMigrateConfig } from '../config.js';
import { migrateStorage, setMigrationLock } from '../storage/migrate.js';
import { type OpenStorage, openStorage } from '../storage/open.js';
import { err, out } from './io.js';

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'];

export async function migrate(args: string[]): Promise<number> {
  const { values } = parseFlags(args, {
    config: { type: 'string' },
    start: { type: 'string' },
    reset: { type: 'boolean' },
    'log-level': { type: 'string' },
  });
  const level = (values['log-level'] ?? process.env['VAULT_LOG_LEVEL'] ?? 'info').toLowerCase();
  if (!LOG_LEVELS.includes(level)) {
    err(`${level} is an unknown log level. Valid log levels are: [${LOG_LEVELS.join(' ')}]`);
    return 1;
  }
  if (!values.config) {
    err('Must specify exactly one config path using -config');
    return 1;
  }
  let config: Awaited<ReturnType<typeof loadMigrateConfig>>;
  try {
    config = await loadMigrateConfig(values.config);
  } catch (e) {
    err(`Error loading configuration from ${values.config}: ${(e as Error).message}`);
    return 1;
  }
  const opened: OpenStorage[] = [];
  const open = async (which: string, block: typeof config.source): Promise<OpenStorage> => {
    try {
      const s = await openStorage(block);
      opened.push(s);
      return s;
    } catch (e) {
      throw new Error(`error mounting '${which}': ${(e as Error).message}`);
    }
  };
  try {
    const from = await open('storage_source', config.source);
    if (values.reset) {
      await setMigrationLock(from.storage, false);
      out('Success! Migration lock reset (if it was set).');
      return 0;
    }
    const to = await open('storage_destination', config.destination);
    const verbose = level !== 'warn' && level !== 'error';
    await migrateStorage(from.storage, to.storage, {
      ...(values.start !== undefined ? { start: values.start } : {}),
      // Log lines on stderr as Vault's logger writes them; key names only, never values.
      onCopied: (key) => {
        if (verbose) err(`${new Date().toISOString()} [INFO]  copied key: path=${key}`);
      },
    });
    out('Success! All of the keys have been migrated.');
    return 0;
  } catch (e) {
    err(`Error migrating: ${(e as Error).message}`);
    return 2;
  } finally {
    for (const s of opened) s.close();
  }
}
