// Multipart uploads. An upload is a folder .minio.sys/multipart/<bucket>/<uploadId>/ holding
// upload.json (the upload exists while this file does), and per uploaded part a data file
// part.N.<id> and its record part.N.json, each written atomically (atomic-file.ts). Completing an
// upload hard-links the chosen parts' files into the object and commits it like any object, then
// removes the folder: the object never shares a file the upload could still change.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { KeyedLock } from '@kms-chain/concurrency';
import { installFile, isNodeError, writeFileAtomic, writeTemp } from './atomic-file.js';
import { StorageError } from './errors.js';
import { compareKeys } from './keys.js';
import { type Layout, PART_FILE, PART_RECORD, UPLOAD_ID } from './layout.js';
import type { StagedFile } from './staging.js';
import type {
  ChecksumValue,
  ObjectMeta,
  ObjectProperties,
  PartLayout,
  UploadedPart,
  UploadMeta,
} from './types.js';

/** Where a committed part's bytes come from. */
export type PartSource =
  | { source: string; move: boolean }
  | {
      /** Small bodies kept inline in the metadata file. */
      data: Buffer;
    };

/** A part of an object to commit: its layout without the file name, and where its bytes come from. */
export type CommitPart = Omit<PartLayout, 'file' | 'inline'> & PartSource;

/** What uploads need of the store around them. */
export interface UploadHost {
  assertBucket(bucket: string): Promise<void>;
  commitObject(
    bucket: string,
    key: string,
    props: ObjectProperties,
    parts: CommitPart[],
    etag: string,
    checksum: ChecksumValue | undefined,
  ): Promise<ObjectMeta>;
}

/** The multipart uploads of one data directory. */
export class Uploads {
  private readonly locks = new KeyedLock();

  constructor(
    private readonly layout: Layout,
    private readonly host: UploadHost,
  ) {}

  /** Starts an upload and returns its id. */
  async createUpload(
    bucket: string,
    key: string,
    props: ObjectProperties,
    checksumAlgorithm: string | undefined,
  ): Promise<UploadMeta> {
    await this.host.assertBucket(bucket);
    const uploadId = randomBytes(24).toString('base64url');
    const dir = this.layout.uploadDir(bucket, uploadId);
    const bucketUploads = this.layout.uploadsDir(bucket);
    const madeBucketUploads = (await mkdir(bucketUploads, { recursive: true })) !== undefined;
    await mkdir(dir);
    const meta: UploadMeta = {
      format: 1,
      key,
      uploadId,
      initiated: new Date().toISOString(),
      checksumAlgorithm,
      ...props,
    };
    await installFile(
      await writeTemp(this.layout.tmpDir, JSON.stringify(meta)),
      dir,
      'upload.json',
      madeBucketUploads ? [bucketUploads, this.layout.multipartDir] : [bucketUploads],
    );
    return meta;
  }

  /** The upload's metadata; NoSuchUpload unless it exists for this bucket and key. */
  async getUpload(bucket: string, key: string, uploadId: string): Promise<UploadMeta> {
    await this.host.assertBucket(bucket);
    let meta: UploadMeta;
    try {
      meta = JSON.parse(
        await readFile(join(this.layout.uploadDir(bucket, uploadId), 'upload.json'), 'utf8'),
      ) as UploadMeta;
    } catch (err) {
      if (isNodeError(err, 'ENOENT') || err instanceof SyntaxError) {
        throw new StorageError('NoSuchUpload', { bucket, key });
      }
      throw err;
    }
    if (meta.key !== key) throw new StorageError('NoSuchUpload', { bucket, key });
    return meta;
  }

  /** Commits a staged part, replacing an earlier upload of the same part number. */
  async commitPart(
    bucket: string,
    upload: UploadMeta,
    staged: StagedFile,
    part: Omit<UploadedPart, 'file' | 'lastModified'>,
  ): Promise<UploadedPart> {
    const dir = this.layout.uploadDir(bucket, upload.uploadId);
    return this.locks.run(`upload/${upload.uploadId}/${part.number}`, async () => {
      const file = `part.${part.number}.${randomUUID()}`;
      try {
        await rename(staged.path, join(dir, file));
      } catch (err) {
        if (isNodeError(err, 'ENOENT')) {
          throw new StorageError('NoSuchUpload', { bucket, key: upload.key });
        }
        throw err;
      }
      const entry: UploadedPart = { ...part, file, lastModified: new Date().toISOString() };
      try {
        await writeFileAtomic(dir, `part.${part.number}.json`, this.layout.tmpDir, JSON.stringify(entry));
      } catch (err) {
        await unlink(join(dir, file)).catch(() => {});
        if (isNodeError(err, 'ENOENT')) throw new StorageError('NoSuchUpload', { bucket, key: upload.key });
        throw err;
      }
      // Drop data files of earlier uploads of this part number.
      const prefix = `part.${part.number}.`;
      for (const name of await readdir(dir).catch(() => [] as string[])) {
        if (name.startsWith(prefix) && name !== file && !name.endsWith('.json')) {
          await unlink(join(dir, name)).catch(() => {});
        }
      }
      return entry;
    });
  }

  /** The upload's parts in part-number order. */
  async listParts(bucket: string, upload: UploadMeta): Promise<UploadedPart[]> {
    const dir = this.layout.uploadDir(bucket, upload.uploadId);
    const names = await readdir(dir).catch((err) => {
      if (isNodeError(err, 'ENOENT')) throw new StorageError('NoSuchUpload', { bucket, key: upload.key });
      throw err;
    });
    const parts = await Promise.all(
      names
        .filter((n) => PART_RECORD.test(n))
        .map(async (n) => JSON.parse(await readFile(join(dir, n), 'utf8')) as UploadedPart),
    );
    return parts.sort((a, b) => a.number - b.number);
  }

  /** Uploads in progress in a bucket, ordered by key then initiation time. */
  async listUploads(bucket: string): Promise<UploadMeta[]> {
    await this.host.assertBucket(bucket);
    const dir = this.layout.uploadsDir(bucket);
    const ids = await readdir(dir).catch(() => [] as string[]);
    const uploads = await Promise.all(
      ids
        .filter((id) => UPLOAD_ID.test(id))
        .map(async (id) => {
          try {
            return JSON.parse(await readFile(join(dir, id, 'upload.json'), 'utf8')) as UploadMeta;
          } catch {
            return undefined;
          }
        }),
    );
    return uploads
      .filter((u): u is UploadMeta => u !== undefined)
      .sort(
        (a, b) =>
          compareKeys(a.key, b.key) || (a.initiated < b.initiated ? -1 : a.initiated > b.initiated ? 1 : 0),
      );
  }

  /**
   * Completes an upload from the chosen parts (already validated by the caller against listParts):
   * hard-links their files into the object, commits it, then removes the upload.
   */
  async completeUpload(
    bucket: string,
    upload: UploadMeta,
    parts: UploadedPart[],
    etag: string,
    checksum: ChecksumValue | undefined,
  ): Promise<ObjectMeta> {
    const dir = this.layout.uploadDir(bucket, upload.uploadId);
    const { format: _f, key, uploadId: _u, initiated: _i, checksumAlgorithm: _c, ...props } = upload;
    for (const p of parts)
      if (!PART_FILE.test(p.file)) throw new Error('corrupt upload metadata: bad part file name');
    const meta = await this.host.commitObject(
      bucket,
      key,
      props,
      parts.map((p) => ({
        number: p.number,
        size: p.size,
        storedSize: p.storedSize,
        etag: p.etag,
        checksum: p.checksum,
        source: join(dir, p.file),
        move: false,
      })),
      etag,
      checksum,
    );
    await this.removeUpload(dir);
    return meta;
  }

  /**
   * Removes an upload's folder, upload.json first: that unlink is the moment the upload stops existing,
   * so a crash in the middle of the removal leaves a folder the startup sweep removes whole.
   */
  private async removeUpload(dir: string): Promise<void> {
    await unlink(join(dir, 'upload.json')).catch((err) => {
      if (!isNodeError(err, 'ENOENT')) throw err;
    });
    await rm(dir, { recursive: true, force: true });
  }

  /** Aborts an upload and removes its parts; NoSuchUpload when it does not exist. */
  async abortUpload(bucket: string, key: string, uploadId: string): Promise<void> {
    await this.getUpload(bucket, key, uploadId);
    await this.removeUpload(this.layout.uploadDir(bucket, uploadId));
  }
}
