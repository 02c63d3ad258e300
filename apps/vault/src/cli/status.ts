// vault status: seal status table; exit 0 unsealed, 2 sealed, 1 on error.
import { parseFlags, UsageError } from '@kms-chain/cli';
import { VaultClient } from './client.js';
import { outputFormat } from './format.js';
import { failed, out } from './io.js';
import { leaderStatus, sealStatusTable } from './operator.js';

export async function status(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, { format: { type: 'string' } });
  if (positionals.length) throw new UsageError(`Too many arguments (expected 0, got ${positionals.length})`);
  const format = outputFormat(values.format);
  const client = new VaultClient();
  let s: Record<string, unknown>;
  try {
    s = (await client.request('GET', 'sys/seal-status')).json!;
  } catch (e) {
    const code = failed('Error checking seal status', e);
    return code === 2 ? 1 : code;
  }
  if (format === 'json') out(JSON.stringify(s, null, 2));
  else out(sealStatusTable(s, await leaderStatus(client)));
  return s['sealed'] ? 2 : 0;
}
