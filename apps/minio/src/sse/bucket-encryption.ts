// Bucket default encryption (spec/minio-sse.md §5): the ServerSideEncryptionConfiguration XML, its
// validation, and where it is kept (.minio.sys/bucket-encryption/<bucket>.xml, replaced atomically).
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KeyedLock } from '@kms-chain/concurrency';
import { canonicalContextJson, zeroize } from '@kms-chain/crypto';
import type { S3Context } from '../s3/context.js';
import { S3Error } from '../s3/errors.js';
import { childList, childText, parseRequestXml, S3_NAMESPACE, xmlDocument, xmlElement } from '../s3/xml.js';
import { KMS_ARN_PREFIX } from './request.js';
import { kmsToS3Error } from './service.js';

/** A bucket's default encryption. */
export interface BucketEncryption {
  algorithm: 'AES256' | 'aws:kms';
  /** As sent (may carry the ARN prefix); only for aws:kms. */
  kmsKeyId?: string | undefined;
}

function malformed(reason: string): S3Error {
  return new S3Error(
    'MalformedXML',
    `The XML you provided was not well-formed or did not validate against our published schema. (${reason})`,
  );
}

/** Parses and validates a PutBucketEncryption body. Throws S3Error MalformedXML with the reason. */
export function parseBucketEncryption(body: Buffer): BucketEncryption {
  const root = parseRequestXml(body, 'ServerSideEncryptionConfiguration');
  const rules = childList(root, 'Rule');
  if (rules.length !== 1) throw malformed('only one server-side encryption rule is allowed');
  const apply = childList(rules[0], 'ApplyServerSideEncryptionByDefault');
  if (apply.length !== 1) throw malformed('one ApplyServerSideEncryptionByDefault element is required');
  const algorithm = childText(apply[0], 'SSEAlgorithm');
  const keyId = childText(apply[0], 'KMSMasterKeyID');
  if (algorithm !== 'AES256' && algorithm !== 'aws:kms') throw malformed('unknown SSE algorithm');
  if (algorithm === 'AES256') {
    if (keyId !== undefined) throw malformed('no KMS key ID allowed with the AES256 algorithm');
    return { algorithm };
  }
  if (keyId === undefined || keyId === '') throw malformed('the aws:kms algorithm needs a KMS key ID');
  if (keyId !== keyId.trim()) throw malformed('the KMS key ID contains leading or trailing spaces');
  return { algorithm, kmsKeyId: keyId };
}

/** The XML GetBucketEncryption returns. */
export function renderBucketEncryption(c: BucketEncryption): string {
  return xmlDocument(
    xmlElement(
      'ServerSideEncryptionConfiguration',
      [
        xmlElement('Rule', [
          xmlElement('ApplyServerSideEncryptionByDefault', [
            xmlElement('SSEAlgorithm', c.algorithm),
            c.kmsKeyId !== undefined ? xmlElement('KMSMasterKeyID', c.kmsKeyId) : '',
          ]),
        ]),
      ],
      ` xmlns="${S3_NAMESPACE}"`,
    ),
  );
}

/** The key id a configuration applies, without the ARN prefix. */
export function defaultKeyIdOf(c: BucketEncryption): string {
  const id = c.kmsKeyId ?? '';
  return id.startsWith(KMS_ARN_PREFIX) ? id.slice(KMS_ARN_PREFIX.length) : id;
}

/**
 * Bucket encryption configurations on disk, cached in memory (this process owns the directory). Changes
 * of one bucket run one at a time, and a read that began before a change does not cache what it read:
 * else a cold read racing a PutBucketEncryption could cache "no default" and leave the bucket's new
 * objects unencrypted until a restart.
 */
export class BucketEncryptionStore {
  readonly #dir: string;
  readonly #cache = new Map<string, BucketEncryption | null>();
  readonly #changes = new KeyedLock();
  /** Bumped by every change. */
  #generation = 0;

  constructor(dataDir: string) {
    this.#dir = join(dataDir, '.minio.sys', 'bucket-encryption');
  }

  #file(bucket: string): string {
    // Bucket names are validated (no '/', no '..') before they reach here.
    return join(this.#dir, `${bucket}.json`);
  }

  /** The configuration of `bucket`, or undefined. */
  async get(bucket: string): Promise<BucketEncryption | undefined> {
    const cached = this.#cache.get(bucket);
    if (cached !== undefined) return cached ?? undefined;
    const generation = this.#generation;
    let value: BucketEncryption | null = null;
    try {
      value = JSON.parse(await readFile(this.#file(bucket), 'utf8')) as BucketEncryption;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (generation === this.#generation) this.#cache.set(bucket, value);
    return value ?? undefined;
  }

  /**
   * Stores a configuration. `check` (that the bucket exists) runs first under the bucket's lock, so a
   * DeleteBucket cannot come between it and the write.
   */
  async put(bucket: string, c: BucketEncryption, check: () => Promise<void>): Promise<void> {
    await this.#changes.run(bucket, async () => {
      await check();
      await mkdir(this.#dir, { recursive: true });
      const tmp = join(this.#dir, `.${randomUUID()}.tmp`);
      await writeFile(tmp, JSON.stringify(c), { mode: 0o600 });
      await rename(tmp, this.#file(bucket));
      this.#generation++;
      this.#cache.set(bucket, c);
    });
  }

  /**
   * Removes a configuration (no error when there is none) once `before` (DeleteBucket, or the check that
   * the bucket exists) has succeeded, under the bucket's lock: a configuration put for a bucket created
   * again meanwhile is not lost.
   */
  async delete(bucket: string, before: () => Promise<void>): Promise<void> {
    await this.#changes.run(bucket, async () => {
      await before();
      await rm(this.#file(bucket), { force: true });
      this.#generation++;
      this.#cache.set(bucket, null);
    });
  }
}

/** PutBucketEncryption: PUT /<bucket>?encryption (body ≤ 1 MiB). */
export async function putBucketEncryption(ctx: S3Context): Promise<void> {
  const bucket = ctx.bucketName;
  await ctx.store.assertBucket(bucket);
  const config = parseBucketEncryption(await ctx.readBody(1024 * 1024));
  const sse = ctx.config.sse;
  const kms = sse?.requireKms();
  if (!sse || !kms)
    throw new S3Error('NotImplemented', 'Server side encryption specified but KMS is not configured');
  if (config.algorithm === 'aws:kms') {
    // MinIO test-generates a data key so that an unusable key is refused now, not at the next PUT.
    try {
      const dk = await kms.generateKey(
        defaultKeyIdOf(config),
        canonicalContextJson({ 'MinIO admin API': 'ServerInfoHandler' }),
      );
      zeroize(dk.plaintext);
    } catch (err) {
      throw kmsToS3Error(err, 'generate');
    }
  }
  await sse.buckets.put(bucket, config, () => ctx.store.assertBucket(bucket));
  ctx.sendEmpty(200);
}

/** GetBucketEncryption: GET /<bucket>?encryption. */
export async function getBucketEncryption(ctx: S3Context): Promise<void> {
  const bucket = ctx.bucketName;
  await ctx.store.assertBucket(bucket);
  const config = await ctx.config.sse?.buckets.get(bucket);
  if (!config) throw new S3Error('ServerSideEncryptionConfigurationNotFoundError');
  ctx.sendXml(renderBucketEncryption(config));
}

/** DeleteBucketEncryption: DELETE /<bucket>?encryption → 204. */
export async function deleteBucketEncryption(ctx: S3Context): Promise<void> {
  const bucket = ctx.bucketName;
  const check = () => ctx.store.assertBucket(bucket);
  await (ctx.config.sse ? ctx.config.sse.buckets.delete(bucket, check) : check());
  ctx.sendEmpty(204);
}
