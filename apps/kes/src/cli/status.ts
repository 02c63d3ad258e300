// `kes status` and `kes log`.
import { formatGoDuration } from '../config/duration.js';
import { clientFlags, clientUsage, connect, expectOk } from './client.js';
import type { Io } from './io.js';

export const statusUsage = clientUsage(['kes status [options]']);

export const logUsage = clientUsage(
  ['kes log [options]'],
  `        --audit              Print audit log events (the default).
        --error              Print error log events.
`,
);

export async function statusCommand(args: string[], io: Io): Promise<number> {
  const { client, json } = await connect(args, io);
  const r = await client.request('GET', '/v1/status');
  expectOk(r, 'failed to read server status');
  const s = r.json<Record<string, unknown>>();
  if (json) {
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

const logFlags = { ...clientFlags, audit: { type: 'boolean' }, error: { type: 'boolean' } } as const;

export async function logCommand(args: string[], io: Io): Promise<number> {
  const { client, values } = await connect(args, io, logFlags);
  const path = values.error ? '/v1/log/error' : '/v1/log/audit';
  const r = await client.request('GET', '/version');
  expectOk(r, 'failed to connect');
  return client.stream(path, (line) => io.out(`${line}\n`));
}
