// vault policy write|read|list|delete
import { readFile } from 'node:fs/promises';
import { flagStr, parseFlags, UsageError } from './args.js';
import { type ApiResponse, VaultClient } from './client.js';
import { outputFormat } from './format.js';
import { err, failed, out, readStdin } from './io.js';

const usage = `Usage: vault policy <subcommand> [options] [args]

Subcommands:
    delete    Deletes a policy by name
    list      Lists the installed policies
    read      Prints the contents of a policy
    write     Uploads a named policy from a file
`;

export async function policy(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const client = new VaultClient();
  switch (sub) {
    case 'write': {
      const p = parseFlags(rest, {});
      if (p.args.length !== 2)
        throw new UsageError(`Wrong number of arguments (expected 2, got ${p.args.length})`);
      const [rawName, file] = p.args as [string, string];
      const name = rawName.trim().toLowerCase();
      let text: string;
      try {
        text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
      } catch (e) {
        err(`Error opening policy file: ${(e as Error).message}`);
        return 1;
      }
      try {
        await client.request('PUT', `sys/policies/acl/${encodeURIComponent(name)}`, { policy: text });
      } catch (e) {
        return failed('Error uploading policy', e);
      }
      out(`Success! Uploaded policy: ${name}`);
      return 0;
    }
    case 'read': {
      const p = parseFlags(rest, { values: ['format'] });
      const format = outputFormat(flagStr(p, 'format'));
      if (p.args.length !== 1)
        throw new UsageError(`Wrong number of arguments (expected 1, got ${p.args.length})`);
      const name = p.args[0]!.trim().toLowerCase();
      let res: ApiResponse;
      try {
        res = await client.request('GET', `sys/policies/acl/${encodeURIComponent(name)}`);
      } catch (e) {
        const code = failed(`Error reading policy named ${name}`, e);
        return code;
      }
      const data = (res.json?.['data'] ?? {}) as Record<string, unknown>;
      if (format === 'json') out(JSON.stringify(res.json, null, 2));
      else out(String(data['policy'] ?? ''));
      return 0;
    }
    case 'list': {
      const p = parseFlags(rest, { values: ['format'] });
      const format = outputFormat(flagStr(p, 'format'));
      let res: ApiResponse;
      try {
        res = await client.request('GET', 'sys/policies/acl', undefined, { list: 'true' });
      } catch (e) {
        return failed('Error listing policies', e);
      }
      const keys = ((res.json?.['data'] as { keys?: string[] })?.keys ?? []) as string[];
      out(format === 'json' ? JSON.stringify(keys, null, 2) : keys.join('\n'));
      return 0;
    }
    case 'delete': {
      const p = parseFlags(rest, {});
      if (p.args.length !== 1)
        throw new UsageError(`Wrong number of arguments (expected 1, got ${p.args.length})`);
      const name = p.args[0]!.trim().toLowerCase();
      try {
        await client.request('DELETE', `sys/policies/acl/${encodeURIComponent(name)}`);
      } catch (e) {
        return failed(`Error deleting ${name}`, e);
      }
      out(`Success! Deleted policy: ${name}`);
      return 0;
    }
    default:
      err(usage);
      return 1;
  }
}
