// What the audit log costs per request: CPU time (client and server in this process) of 20 000 small
// anonymous requests against the built server, with no audit target and with a file target, rounds
// interleaved, median of five. Run after `npx turbo run build --filter=@kms-chain/minio`:
//   node apps/minio/bench/audit-cost.mjs
// The requests are the cheapest the server answers (an error), so the audit's share is at its largest;
// an SSE PUT or GET costs milliseconds of KMS and crypto beside it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';

const dist = join(import.meta.dirname, '..', 'dist');
const { buildServer } = await import(join(dist, 'server.js'));
const { FileTarget } = await import(join(dist, 'audit', 'targets.js'));

const N = 20_000;
const CONCURRENCY = 16;

/** CPU µs per request with or without a file audit target. */
async function run(audited) {
  const dir = mkdtempSync(join(tmpdir(), 'audit-cost-'));
  const app = buildServer({
    credentials: { accessKey: 'minio', secretKey: 'minio123' },
    region: 'us-east-1',
    domains: [],
    dataDir: dir,
    idleCollectMs: 0,
    audit: audited ? [new FileTarget(join(dir, 'audit.log'))] : [],
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${app.server.address().port}/nobucket/key`;
  const agent = new Agent({ connections: 8 });
  let next = 0;
  const before = process.cpuUsage();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < N) {
        const r = await request(url, {
          dispatcher: agent,
          headers: { 'x-amz-server-side-encryption': 'AES256' },
        });
        await r.body.dump();
      }
    }),
  );
  const used = process.cpuUsage(before);
  await app.close();
  await agent.close();
  rmSync(dir, { recursive: true, force: true });
  return (used.user + used.system) / N;
}

await run(false);
await run(true);
const rounds = { off: [], on: [] };
for (let i = 0; i < 5; i++) {
  rounds.on.push(await run(true));
  rounds.off.push(await run(false));
}
const median = (a) => [...a].sort((x, y) => x - y)[2];
const off = median(rounds.off);
const on = median(rounds.on);
console.log(
  `CPU per request, median of 5: no audit ${off.toFixed(1)} µs, file audit ${on.toFixed(1)} µs (+${(on - off).toFixed(1)} µs)`,
);
