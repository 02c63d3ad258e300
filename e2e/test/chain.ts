// A chain of our three bins for the fault drills and the chain's security tests: @kms-chain/tools'
// startChain (dev PKI, vault with file storage and TLS, the guide's set-up over Vault's HTTP API as
// `npm start` does it, one or more kes servers sharing the AppRole, minio pointed at all of them
// over mTLS) in a temp dir, plus an S3 client. Every server can be stopped, killed and started
// again on its own ports and data.
import type { S3Client } from '@aws-sdk/client-s3';
import {
  startChain as start,
  type Chain as ToolsChain,
  type ChainOptions as ToolsChainOptions,
} from '@kms-chain/tools';
import { type Proc, s3Client, tempDir } from './chain-support.js';

export interface ChainOptions {
  /** How many KES servers minio lists in MINIO_KMS_KES_ENDPOINT (default 1). */
  kesCount?: number;
  cache?: ToolsChainOptions['cache'];
  ping?: string;
  /** MINIO_KMS_AUTO_ENCRYPTION (default off, so plaintext objects can be written too). */
  autoEncryption?: boolean;
}

export interface Chain extends ToolsChain {
  vaultPort: number;
  kesPorts: number[];
  minioPort: number;
  vault: Proc;
  minio: Proc;
  /** An SDK client for minio with its root credentials (minio / minio123). */
  s3: S3Client;
}

export async function startChain(opts: ChainOptions = {}): Promise<Chain> {
  const chain = (await start({
    dir: await tempDir('kms-chain-'),
    credentials: { accessKey: 'minio', secretKey: 'minio123' },
    ...opts,
  })) as Chain;
  chain.vaultPort = chain.ports.vault;
  chain.kesPorts = chain.ports.kes;
  chain.minioPort = chain.ports.minio;
  chain.s3 = s3Client(chain.urls.minio, 'minio', 'minio123', chain.ca);
  return chain;
}
