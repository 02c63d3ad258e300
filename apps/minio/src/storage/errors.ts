// What the object store refuses, as a closed set of kinds. The store knows nothing of HTTP or S3 codes;
// the S3 layer maps each kind to its error once (s3/errors.ts storageToS3Error).

/**
 * `NoSuchBucket`, `NoSuchKey`, `NoSuchUpload`: the bucket, object or upload does not exist;
 * `BucketExists`: create of a bucket that exists; `BucketNotEmpty`: delete of a bucket holding objects;
 * `InvalidBucketName`: a name outside the bucket naming rules; `InvalidObjectName`, `EmptyObjectName`,
 * `KeyTooLong`: an object key the store does not take; `VersionChanged`: a conditional rewrite of an
 * object that was replaced meanwhile.
 */
export type StorageErrorKind =
  | 'NoSuchBucket'
  | 'NoSuchKey'
  | 'NoSuchUpload'
  | 'BucketExists'
  | 'BucketNotEmpty'
  | 'InvalidBucketName'
  | 'InvalidObjectName'
  | 'EmptyObjectName'
  | 'KeyTooLong'
  | 'VersionChanged';

/** Which bucket and key an error is about, when known. */
export interface StorageErrorContext {
  bucket?: string | undefined;
  key?: string | undefined;
}

/** A refused storage operation. The message names the kind only; it never holds object data. */
export class StorageError extends Error {
  constructor(
    readonly kind: StorageErrorKind,
    readonly context: StorageErrorContext = {},
  ) {
    super(`storage: ${kind}`);
    this.name = 'StorageError';
  }
}

/** True for values thrown as StorageError. */
export function isStorageError(err: unknown): err is StorageError {
  return err instanceof StorageError;
}
