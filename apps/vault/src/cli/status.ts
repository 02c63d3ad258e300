// vault status: seal status table; exit 0 unsealed, 2 sealed, 1 on error.
import { flagStr, parseFlags, UsageError } from './args.js';
import { VaultClient } from './client.js';
import { outputFormat } from './format.js';
import { failed, out } from './io.js';
import { leaderHa, sealStatusTable } from './operator.js';

export async function status(args: string[]): Promise<number> {
  const p = parseFlags(args, { values: ['format'] });
  if (p.args.length) throw new UsageError(`Too many arguments (expected 0, got ${p.args.length})`);
  const format = outputFormat(flagStr(p, 'format'));
  const client = new VaultClient();
  let s: Record<string, unknown>;
  try {
    s = (await client.request('GET', 'sys/seal-status')).json!;
  } catch (e) {
    const code = failed('Error checking seal status', e);
    return code === 2 ? 1 : code;
  }
  if (format === 'json') out(JSON.stringify(s, null, 2));
  else out(sealStatusTable(s, await leaderHa(client)));
  return s['sealed'] ? 2 : 0;
}
