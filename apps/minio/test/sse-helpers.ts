// Real KES processes (the apps/kes bin, fs keystore, mTLS) for the SSE tests, a PKI for them, and a
// counting wrapper around the object store's KMS client.
import { type ChildProcess, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loopbackPki, startFsKes } from '@kms-chain/tools';
import { checkKms, createKms } from '../src/kms/connect.js';
import type { DataKey, Kms, KmsStatus } from '../src/kms/kms.js';

const kesDir = join(import.meta.dirname, '..', '..', 'kes');
const kesBin = join(kesDir, 'bin', 'kes.js');

/** Builds apps/kes/dist when it is missing (the bin runs the compiled code). */
export function ensureKesBuilt(): void {
  if (!existsSync(join(kesDir, 'dist', 'cli.js'))) {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: kesDir, stdio: 'pipe' });
  }
}

export interface SsePki {
  dir: string;
  caPem: string;
  /** The CA's private key, to sign more client certificates in tests. */
  caKeyPem: string;
  caFile: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  clientIdentity: string;
}

/** A CA, a KES server certificate for 127.0.0.1 and a MinIO client certificate, as files. */
export async function makeSsePki(): Promise<SsePki> {
  const dir = await mkdtemp(join(tmpdir(), 'minio-sse-pki-'));
  const pki = await loopbackPki('sse test CA');
  const { ca, server } = pki;
  const client = await pki.client('MinIO', 'ec-p256');
  const files = {
    caFile: join(dir, 'ca.crt'),
    serverCert: join(dir, 'kes.crt'),
    serverKey: join(dir, 'kes.key'),
    clientCert: join(dir, 'minio.crt'),
    clientKey: join(dir, 'minio.key'),
  };
  await writeFile(files.caFile, ca.certPem);
  await writeFile(files.serverCert, server.certPem);
  await writeFile(files.serverKey, server.keyPem, { mode: 0o600 });
  await writeFile(files.clientCert, client.certPem);
  await writeFile(files.clientKey, client.keyPem, { mode: 0o600 });
  return { dir, caPem: ca.certPem, caKeyPem: ca.keyPem, clientIdentity: client.identity, ...files };
}

export interface KesProcess {
  url: string;
  port: number;
  keystore: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `kes server` with an fs keystore on 127.0.0.1 (`port` 0 = any). */
export async function startKes(
  pki: SsePki,
  keystore: string,
  port = 0,
  extraIdentities: string[] = [],
): Promise<KesProcess> {
  const kes = await startFsKes({
    dir: pki.dir,
    keystore,
    port,
    tls: { certPath: pki.serverCert, keyPath: pki.serverKey },
    identities: [pki.clientIdentity, ...extraIdentities],
    bin: kesBin,
  });
  return { ...kes, child: kes.proc.child };
}

/** Counts calls per KMS operation around a real Kms. */
export class CountingKms implements Kms {
  counts = { generate: 0, decrypt: 0 };
  constructor(readonly inner: Kms) {}
  get defaultKeyId(): string {
    return this.inner.defaultKeyId;
  }
  reset(): void {
    this.counts = { generate: 0, decrypt: 0 };
  }
  generateKey(keyId: string, context: Uint8Array): Promise<DataKey> {
    this.counts.generate++;
    return this.inner.generateKey(keyId, context);
  }
  decrypt(keyId: string, ciphertext: Uint8Array, context: Uint8Array): Promise<Buffer> {
    this.counts.decrypt++;
    return this.inner.decrypt(keyId, ciphertext, context);
  }
  createKey(keyId: string): Promise<void> {
    return this.inner.createKey(keyId);
  }
  describeKey(keyId: string): Promise<void> {
    return this.inner.describeKey(keyId);
  }
  listKeys(prefix: string): Promise<string[]> {
    return this.inner.listKeys(prefix);
  }
  status(): Promise<KmsStatus> {
    return this.inner.status();
  }
  close(): void {
    this.inner.close();
  }
}

/** A KES-backed Kms for `urls`, checked as at startup (creates the default key). */
export async function kesKms(
  pki: SsePki,
  urls: string[],
  keyName = 'minio-default-key',
): Promise<CountingKms> {
  const kms = await createKms(
    {
      kind: 'kes',
      endpoints: urls,
      keyName,
      auth: { kind: 'files', certFile: pki.clientCert, keyFile: pki.clientKey },
      caPem: pki.caPem,
    },
    { retryDelayMs: 10, certWatch: false },
  );
  await checkKms(kms);
  return new CountingKms(kms);
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** One KES process and a counting KES-backed Kms, as most SSE test files use. */
export interface KesChain {
  pki: SsePki;
  kes: KesProcess;
  kms: CountingKms;
}

/** Starts a KesChain; on failure stops what had started before rethrowing. */
export async function startKesChain(): Promise<KesChain> {
  ensureKesBuilt();
  const chain: Partial<KesChain> = {};
  try {
    chain.pki = await makeSsePki();
    chain.kes = await startKes(chain.pki, join(chain.pki.dir, 'keys'));
    chain.kms = await kesKms(chain.pki, [chain.kes.url]);
    return chain as KesChain;
  } catch (e) {
    await stopKesChain(chain);
    throw e;
  }
}

/** Stops what a KesChain started; any part may be missing. */
export async function stopKesChain(chain: Partial<KesChain> | undefined): Promise<void> {
  chain?.kms?.close();
  await chain?.kes?.stop();
  if (chain?.pki) await removeDir(chain.pki.dir);
}
