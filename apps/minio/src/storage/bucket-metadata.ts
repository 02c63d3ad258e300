// A bucket's configuration in one record, as MinIO keeps all of a bucket's configuration in one
// bucket-metadata file: .minio.sys/buckets/<bucket>.json = {"format":1,"created":…,"encryption":…}.
// Records are replaced whole with full durability (atomic-file.ts), removed with their bucket, and the
// startup sweep removes those whose bucket is gone. New kinds of configuration (tagging, policy, …) are
// new optional fields of the record.
//
// Earlier versions wrote {"created":…} only, and kept the default encryption apart in
// .minio.sys/bucket-encryption/<bucket>.json (without fsync). Such records read as they are; the
// encryption files are moved into the records at startup (migrateLegacy): the record is written first,
// then the old file removed, so a crash between the two leaves the same configuration in both places
// and the next start only removes the old file.
import { readdir, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { isNodeError, readTextIfExists, writeFileAtomic } from './atomic-file.js';
import type { Layout } from './layout.js';
import type { SweepReport } from './sweep.js';
import type { ObjectTag } from './types.js';

/** A bucket's default encryption as stored; its meaning (and the XML) belongs to the SSE layer. */
export interface StoredBucketEncryption {
  algorithm: 'AES256' | 'aws:kms';
  /** As the client sent it (may carry the ARN prefix); only for aws:kms. */
  kmsKeyId?: string | undefined;
}

/** Everything kept about a bucket besides its objects. */
export interface BucketMetadata {
  /** ISO 8601 creation time. */
  created: string;
  /** The default encryption (PutBucketEncryption); absent when none. */
  encryption?: StoredBucketEncryption | undefined;
  /** The bucket's tag set (PutBucketTagging), checked by the S3 layer, in the order given; absent when none. */
  tags?: ObjectTag[] | undefined;
  /** The bucket policy (PutBucketPolicy), JSON as the client sent it, checked by the S3 layer; absent when none. */
  policy?: string | undefined;
}

interface BucketRecord extends BucketMetadata {
  format: 1;
}

/**
 * The records of one data directory, cached in memory (this process is their only writer). Callers
 * serialize the changes of one bucket (FsStore's bucket lock); a read that began before a change does
 * not cache what it read, else a cold read racing a PutBucketEncryption could cache "no default" and
 * leave the bucket's new objects unencrypted until a restart.
 */
export class BucketMetadataStore {
  readonly #cache = new Map<string, BucketMetadata>();
  /** Bumped by every change. */
  #generation = 0;

  constructor(private readonly layout: Layout) {}

  /** The bucket's metadata; for a bucket without a record, its folder's mtime as creation time. */
  async read(bucket: string): Promise<BucketMetadata> {
    const cached = this.#cache.get(bucket);
    if (cached !== undefined) return { ...cached };
    const generation = this.#generation;
    const text = await readTextIfExists(this.layout.bucketRecord(bucket));
    let meta: BucketMetadata;
    if (text !== undefined) {
      const { format: _format, ...record } = JSON.parse(text) as Partial<BucketRecord> & { created: string };
      meta = record;
    } else {
      // A bucket made by a run that crashed before writing its record.
      meta = { created: (await stat(this.layout.bucketDir(bucket))).mtime.toISOString() };
    }
    if (generation === this.#generation) this.#cache.set(bucket, meta);
    return { ...meta };
  }

  /** Replaces the bucket's record. The caller holds the bucket's lock and has checked that it exists. */
  async write(bucket: string, meta: BucketMetadata): Promise<void> {
    const record: BucketRecord = { format: 1, ...meta };
    this.#generation++;
    this.#cache.delete(bucket);
    await writeFileAtomic(
      this.layout.bucketMetaDir,
      `${this.layout.bucketName(bucket)}.json`,
      this.layout.tmpDir,
      JSON.stringify(record),
    );
    this.#cache.set(bucket, { ...meta });
  }

  /** Removes the bucket's record (none is fine), as the last step of deleting the bucket. */
  async remove(bucket: string): Promise<void> {
    this.#generation++;
    this.#cache.delete(bucket);
    await rm(this.layout.bucketRecord(bucket), { force: true });
  }

  /**
   * Startup: moves encryption configurations of the earlier layout into the records, and removes
   * records (and old configurations) of buckets that are gone. Runs before any request.
   */
  async sweep(buckets: Set<string>, report: SweepReport): Promise<void> {
    for (const name of await readdir(this.layout.bucketMetaDir)) {
      if (name.endsWith('.json') && !buckets.has(name.slice(0, -'.json'.length))) {
        await unlink(join(this.layout.bucketMetaDir, name));
        report.bucketRecords++;
      }
    }
    await this.#migrateLegacy(buckets, report);
  }

  async #migrateLegacy(buckets: Set<string>, report: SweepReport): Promise<void> {
    const dir = this.layout.legacyEncryptionDir;
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      if (isNodeError(err, 'ENOENT')) return;
      throw err;
    }
    for (const name of names) {
      const file = join(dir, name);
      const bucket = name.endsWith('.json') ? name.slice(0, -'.json'.length) : '';
      if (!buckets.has(bucket)) {
        // Temp files of an interrupted write, and configurations of deleted buckets.
        await rm(file, { force: true });
        report.bucketRecords++;
        continue;
      }
      const text = await readTextIfExists(file);
      if (text !== undefined) {
        const encryption = JSON.parse(text) as StoredBucketEncryption;
        const meta = await this.read(bucket);
        // A record that already holds a configuration was written after this file (or migrated from it).
        if (meta.encryption === undefined) await this.write(bucket, { ...meta, encryption });
      }
      await unlink(file);
    }
    await rmdir(dir).catch(() => {});
  }
}
