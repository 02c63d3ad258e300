// Bucket default encryption (docs/minio-sse.md#default-encryption): the configuration and its meaning
// for writes. It is kept in the bucket's metadata record, which storage owns and writes as JSON; the
// ServerSideEncryptionConfiguration XML is the S3 layer's (s3/bucket-encryption-handlers.ts).
import type { FsStore, StoredBucketEncryption } from '../storage/fs-store.js';
import { KMS_ARN_PREFIX } from './request.js';

/** A bucket's default encryption: algorithm, and the key id as sent (may carry the ARN prefix). */
export type BucketEncryption = StoredBucketEncryption;

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
