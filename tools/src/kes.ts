// One `kes server` with a directory keystore (fs) and mTLS, for tests and benchmarks of minio's
// KMS path that need a real KES but not Vault: the policy `minio` lets the given identities create,
// generate, decrypt, describe and import keys and read the status.
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type Proc, startProc } from './proc.js';

export interface FsKesOptions {
  /** Where the config file is written. */
  dir: string;
  /** The keystore directory (created). */
  keystore: string;
  /** The server's certificate and key files. */
  tls: { certPath: string; keyPath: string };
  /** The identities (SHA-256 of the client certificates' public keys) of the `minio` policy. */
  identities: string[];
  /** Default 0: any free port, read back from the banner. */
  port?: number;
  /** The kes bin (default the repository's node_modules/.bin/kes); it runs under this node. */
  bin?: string;
}

export interface FsKes {
  url: string;
  port: number;
  keystore: string;
  proc: Proc;
  /** SIGTERM; resolves once it exited. */
  stop(): Promise<void>;
}

let configs = 0;

/** Starts the server and resolves once its banner names the endpoint (20 s at most). */
export async function startFsKes(o: FsKesOptions): Promise<FsKes> {
  await mkdir(o.keystore, { recursive: true });
  const config = join(o.dir, `kes-${process.pid}-${++configs}.yaml`);
  await writeFile(
    config,
    `version: v1
address: 127.0.0.1:${o.port ?? 0}
admin:
  identity: disabled
tls:
  key: ${o.tls.keyPath}
  cert: ${o.tls.certPath}
cache:
  expiry:
    any: 5m
    unused: 5m
policy:
  minio:
    allow:
      - /v1/key/create/*
      - /v1/key/generate/*
      - /v1/key/decrypt/*
      - /v1/key/describe/*
      - /v1/key/import/*
      - /v1/status
    identities:
${o.identities.map((id) => `      - ${id}`).join('\n')}
keystore:
  fs:
    path: ${o.keystore}
`,
    { mode: 0o600 },
  );
  const bin = o.bin ?? resolve(import.meta.dirname, '..', '..', 'node_modules', '.bin', 'kes');
  const proc = startProc(process.execPath, [bin, 'server', `--config=${config}`]);
  const [, endpoint] = await proc.waitFor(/Endpoint\s+https:\/\/(\S+)/, 20_000);
  const port = Number(endpoint!.split(':').pop());
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    keystore: o.keystore,
    proc,
    async stop() {
      await proc.stop();
    },
  };
}
