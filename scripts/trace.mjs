// `npm run trace -- <request-id>`: one S3 request's path through the chain — the object store's audit
// entry, the KES calls it made and the Vault calls those made — joined by request id from the three
// audit logs `npm start` writes (docs/observability.md#audit-and-trace).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const root = resolve(import.meta.dirname, '..');
const env = process.env;

const usage = `Usage: npm run trace -- [flags] <request-id>

Prints the timeline of one S3 request (its x-amz-request-id): the S3 call, the KES calls it made and
the Vault calls those made, with identities, key names, latencies and outcomes.

Flags:
  --data-dir DIR     the chain's directory (default $KMS_CHAIN_DATA_DIR or .data)
  --ha               the chain \`npm start -- --ha\` runs (DIR/ha)
  --minio-log FILE   the object store's audit log (default DIR/logs/minio-audit.log)
  --kes-log FILE     a KES audit log; repeat for several (default DIR/logs/kes*-audit.log)
  --vault-log FILE   Vault's file audit device (default DIR/logs/vault-audit.log)
  --json             the steps as a JSON array instead of text
  -h, --help         this help
`;

function fail(message, code) {
  process.stderr.write(`Error: ${message}\n`);
  if (code === 2) process.stderr.write(usage);
  process.exit(code);
}

let args;
try {
  args = parseArgs({
    allowPositionals: true,
    options: {
      'data-dir': { type: 'string' },
      'minio-log': { type: 'string' },
      'kes-log': { type: 'string', multiple: true },
      'vault-log': { type: 'string' },
      json: { type: 'boolean' },
      ha: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
} catch (err) {
  fail(err.message, 2);
}
const { values, positionals } = args;
if (values.help) {
  process.stdout.write(usage);
  process.exit(0);
}
if (positionals.length !== 1) fail('expected exactly one request id', 2);

if (!existsSync(join(root, 'tools', 'dist', 'index.js'))) fail('tools/ is not built: run `npm run build`', 1);
const { chainAuditLogPaths, formatTrace, traceRequest } = await import('@kms-chain/tools');
const dir = join(
  resolve(values['data-dir'] ?? (env['KMS_CHAIN_DATA_DIR'] || join(root, '.data'))),
  values.ha ? 'ha' : '',
);
const paths = chainAuditLogPaths(dir);
if (values['minio-log']) paths.minio = [resolve(values['minio-log'])];
if (values['kes-log']) paths.kes = values['kes-log'].map((f) => resolve(f));
if (values['vault-log']) paths.vault = [resolve(values['vault-log'])];

const id = positionals[0];
const events = await traceRequest(id, paths);
process.stdout.write(values.json ? `${JSON.stringify(events, null, 2)}\n` : formatTrace(id, events, paths));
process.exit(events.length > 0 ? 0 : 1);
