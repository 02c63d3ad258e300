// Bucket default encryption (docs/minio-sse.md#default-encryption): the
// ServerSideEncryptionConfiguration XML, its validation, and its meaning for writes. It is kept in the
// bucket's metadata record, which storage owns.
import { canonicalContextJson, zeroize } from '@kms-chain/crypto';
import type { S3Context } from '../s3/context.js';
import { S3Error } from '../s3/errors.js';
import { childList, childText, parseRequestXml, S3_NAMESPACE, xmlDocument, xmlElement } from '../s3/xml.js';
import type { FsStore, StoredBucketEncryption } from '../storage/fs-store.js';
import { KMS_ARN_PREFIX } from './request.js';
import { kmsToS3Error } from './service.js';

/** A bucket's default encryption: algorithm, and the key id as sent (may carry the ARN prefix). */
export type BucketEncryption = StoredBucketEncryption;

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
 * Bucket default encryption kept in the bucket's metadata record, which storage writes durably, caches,
 * and removes with the bucket (storage/bucket-metadata.ts). Changes run under the bucket's lock there,
 * after the check that the bucket exists: no configuration outlives its bucket or lands on the next
 * bucket of the same name.
 */
export class BucketEncryptionStore {
  constructor(private readonly store: FsStore) {}

  /** The configuration of `bucket`, or undefined; NoSuchBucket when the bucket does not exist. */
  async get(bucket: string): Promise<BucketEncryption | undefined> {
    return (await this.store.bucketMetadata(bucket)).encryption;
  }

  /** Stores a configuration; NoSuchBucket when the bucket does not exist. */
  async put(bucket: string, c: BucketEncryption): Promise<void> {
    await this.store.updateBucketMetadata(bucket, (m) => ({ ...m, encryption: c }));
  }

  /** Removes the configuration (none is fine); NoSuchBucket when the bucket does not exist. */
  async delete(bucket: string): Promise<void> {
    await this.store.updateBucketMetadata(bucket, ({ encryption: _, ...m }) => m);
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
  await sse.buckets.put(bucket, config);
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
  await (ctx.config.sse ? ctx.config.sse.buckets.delete(bucket) : ctx.store.assertBucket(bucket));
  ctx.sendEmpty(204);
}
