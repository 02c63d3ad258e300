// Where everything lives under the data directory. Every path built from a bucket name, object key or
// upload id goes through here, so no name can address a path outside its place:
//
//   <bucket>/                                 one directory per bucket
//   <bucket>/<h[0:2]>/<h>/meta.json           h = hex SHA-256 of the object key: keys never become paths,
//   <bucket>/<h[0:2]>/<h>/<dataId>.<part>     so no key can escape the directory; data files immutable
//   .minio.sys/buckets/<bucket>.json          the bucket's metadata record (bucket-metadata.ts)
//   .minio.sys/tmp/                           staging: bodies stream here, are fsynced, then renamed
//   .minio.sys/multipart/<bucket>/<uploadId>/ upload.json, part.N.json, part.N.<id> data
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { StorageError } from './errors.js';
import { isValidBucketName } from './keys.js';

export const UPLOAD_ID = /^[A-Za-z0-9_-]{16,128}$/;
/** `<dataId>.<part number>`: a data file of a committed object. */
export const DATA_FILE = /^[0-9a-f-]{36}\.\d{1,5}$/;
/** `part.<number>.<id>`: the data of an uploaded part. */
export const PART_FILE = /^part\.\d{1,5}\.[0-9a-f-]{36}$/;
/** `part.<number>.json`: the record of an uploaded part. */
export const PART_RECORD = /^part\.\d{1,5}\.json$/;
export const SHARD = /^[0-9a-f]{2}$/;
export const OBJECT_DIR = /^[0-9a-f]{64}$/;

/** The paths of one data directory. */
export class Layout {
  readonly sysDir: string;
  readonly tmpDir: string;
  readonly bucketMetaDir: string;
  /** Where bucket encryption configurations were kept before the bucket metadata record held them. */
  readonly legacyEncryptionDir: string;
  readonly multipartDir: string;

  constructor(readonly root: string) {
    this.sysDir = join(root, '.minio.sys');
    this.tmpDir = join(this.sysDir, 'tmp');
    this.bucketMetaDir = join(this.sysDir, 'buckets');
    this.legacyEncryptionDir = join(this.sysDir, 'bucket-encryption');
    this.multipartDir = join(this.sysDir, 'multipart');
  }

  /** `bucket`, or StorageError InvalidBucketName: such a name (".." from a copy source) is never a path. */
  bucketName(bucket: string): string {
    if (!isValidBucketName(bucket)) throw new StorageError('InvalidBucketName', { bucket });
    return bucket;
  }

  bucketDir(bucket: string): string {
    return join(this.root, this.bucketName(bucket));
  }

  bucketRecord(bucket: string): string {
    return join(this.bucketMetaDir, `${this.bucketName(bucket)}.json`);
  }

  objectDir(bucket: string, key: string): { shard: string; dir: string } {
    const h = createHash('sha256').update(key, 'utf8').digest('hex');
    const shard = join(this.bucketDir(bucket), h.slice(0, 2));
    return { shard, dir: join(shard, h) };
  }

  uploadsDir(bucket: string): string {
    return join(this.multipartDir, this.bucketName(bucket));
  }

  /** An upload's folder; NoSuchUpload for an id this server never makes. */
  uploadDir(bucket: string, uploadId: string): string {
    if (!UPLOAD_ID.test(uploadId)) throw new StorageError('NoSuchUpload', { bucket });
    return join(this.uploadsDir(bucket), uploadId);
  }
}
