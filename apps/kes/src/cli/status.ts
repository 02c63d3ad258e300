// `kes status` and `kes log`.
import { formatGoDuration } from '../config/duration.js';
import { parse } from './args.js';
import { expectOk, KesClient } from './client.js';
import type { Io } from './io.js';

const common = {
  insecure: { type: 'boolean', short: 'k' },
  server: { type: 'string', short: 's' },
  json: { type: 'boolean' },
} as const;

export async function statusCommand(args: string[], io: Io): Promise<number> {
  const { values } = parse(args, common);
  const client = await KesClient.create({ server: values.server, insecure: values.insecure, env: io.env });
  const r = await client.request('GET', '/v1/status');
  expectOk(r, 'failed to read server status');
  const s = r.json<Record<string, unknown>>();
  if (values.json || !io.isTTY) {
    io.out(`${JSON.stringify(s)}\n`);
    return 0;
  }
  io.out(`Version   ${s.version}\n`);
  io.out(`Uptime    ${formatGoDuration(Number(s.uptime ?? 0) * 1000)}\n`);
  io.out(`OS        ${s.os}/${s.arch}\n`);
  io.out(
    `Keystore  ${s.keystore_unreachable ? 'unreachable' : `reachable (${s.keystore_latency ?? 0} ms)`}\n`,
  );
  return 0;
}

export async function logCommand(args: string[], io: Io): Promise<number> {
  const { values } = parse(args, {
    ...common,
    audit: { type: 'boolean' },
    error: { type: 'boolean' },
  } as const);
  const client = await KesClient.create({ server: values.server, insecure: values.insecure, env: io.env });
  const path = values.error ? '/v1/log/error' : '/v1/log/audit';
  const r = await client.request('GET', '/version');
  expectOk(r, 'failed to connect');
  return client.stream(path, (line) => io.out(`${line}\n`));
}
