// The filesystem object store: the one façade the S3 layer uses. Where things live is in layout.ts,
// what a crash can leave and how the startup sweep removes it in sweep.ts, uploads in multipart.ts.
//
// Commit protocol of an object (commitObject): data files are renamed (or hard-linked from multipart
// parts) into the object's directory under a fresh data id, then meta.json is written to a temp file,
// fsynced and renamed over the old one (the commit point), and the directory fsynced. Only then are the
// previous version's data files removed; a reader that resolved that version holds them open
// (openObject). A crash before the rename leaves unreferenced files that no read can see; a crash after
// it leaves the new object whole.
import { randomUUID } from 'node:crypto';
import { close as closeFd, open as openFd } from 'node:fs';
import { link, mkdir, readdir, rename, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KeyedLock } from '@kms-chain/concurrency';
import {
  fsyncDir,
  installFile,
  isNodeError,
  readTextIfExists,
  writeFileAtomic,
  writeTemp,
} from './atomic-file.js';
import { BucketIndexes, insertSorted, removeSorted, summaryOf } from './bucket-index.js';
import { type BucketMetadata, BucketMetadataStore, type StoredBucketEncryption } from './bucket-metadata.js';
import { StorageError } from './errors.js';
import { compareKeys, isValidBucketName } from './keys.js';
import { DATA_FILE, Layout } from './layout.js';
import { type ListOptions, type ListPage, listPage } from './listing.js';
import { MetaCache } from './meta-cache.js';
import { type CommitPart, type PartSource, Uploads } from './multipart.js';
import { type ObjectReader, OpenObject } from './open-object.js';
import { type StagedFile, stageBody } from './staging.js';
import { emptySweepReport, removeStaleFiles, type SweepReport, sweepStaging, sweepUploads } from './sweep.js';
import type {
  ChecksumValue,
  ObjectMeta,
  ObjectProperties,
  ObjectTag,
  PartLayout,
  UploadedPart,
  UploadMeta,
} from './types.js';

export type {
  BucketMetadata,
  ListOptions,
  ListPage,
  PartSource,
  StagedFile,
  StoredBucketEncryption,
  SweepReport,
};

const openFdAsync = promisify(openFd);
const closeFdAsync = promisify(closeFd);

/** Objects up to this size are stored inline in meta.json. */
export const INLINE_MAX = 16 * 1024;

async function readMeta(objDir: string): Promise<ObjectMeta | undefined> {
  const text = await readTextIfExists(join(objDir, 'meta.json'));
  return text === undefined ? undefined : (JSON.parse(text) as ObjectMeta);
}

/** The object store over one data directory. Single process; all methods are safe to call concurrently. */
export class FsStore {
  private readonly layout: Layout;
  private readonly sweepReport = emptySweepReport();
  private swept: Promise<SweepReport> = Promise.resolve(emptySweepReport());
  private readonly indexes: BucketIndexes;
  private readonly uploads: Uploads;
  private readonly bucketMeta: BucketMetadataStore;
  /** Buckets seen to exist; this process owns the directory, so only deleteBucket removes entries. */
  private readonly knownBuckets = new Set<string>();
  /** Shard directories known to exist (cleared with their bucket). */
  private readonly knownShards = new Set<string>();
  private readonly locks = new KeyedLock();
  /**
   * 16 MiB of texts (≈ 2 800 inline 4 KiB objects). Filled to 64 MiB it grew the process by ≈ 100 MiB
   * (12 000 small PUTs: peak RSS 83 → 181 MiB), more than the streaming paths use in all.
   */
  private readonly metaCache = new MetaCache(16 * 1024 * 1024, 64 * 1024);

  constructor(readonly root: string) {
    this.layout = new Layout(root);
    this.indexes = new BucketIndexes(this.layout, this.sweepReport);
    this.uploads = new Uploads(this.layout, this);
    this.bucketMeta = new BucketMetadataStore(this.layout);
  }

  /**
   * Creates the system folders and sweeps what a crashed run left behind (sweep.ts). The staging area,
   * uploads and bucket records are swept before this resolves, so it must finish before any other method
   * is called. Each bucket's object folders are swept in the background, one bucket after another, as
   * that bucket's listing index is built from the same meta.json reads: every write and listing awaits
   * the index, so no commit can race its bucket's sweep, and a request for a bucket not reached yet
   * sweeps that bucket first. sweepDone() tells when all of it has finished.
   */
  async init(): Promise<void> {
    const { root, tmpDir, bucketMetaDir, multipartDir } = this.layout;
    await mkdir(root, { recursive: true });
    await sweepStaging(this.layout, this.sweepReport);
    for (const dir of [tmpDir, bucketMetaDir, multipartDir]) await mkdir(dir, { recursive: true });
    const buckets = (await readdir(root, { withFileTypes: true }))
      .filter((d) => d.isDirectory() && isValidBucketName(d.name))
      .map((d) => d.name);
    await sweepUploads(this.layout, new Set(buckets), this.sweepReport);
    await this.bucketMeta.sweep(new Set(buckets), this.sweepReport);
    this.indexes.markUnswept(buckets);
    this.swept = (async () => {
      for (const bucket of buckets) {
        // A bucket deleted meanwhile, or a failing disk, leaves the sweep to that bucket's next use.
        await this.indexes.get(bucket).catch(() => {});
      }
      return { ...this.sweepReport };
    })();
  }

  /** Resolves, once the startup sweep has finished, with the counts of what it removed. */
  sweepDone(): Promise<SweepReport> {
    return this.swept;
  }

  // ---- buckets -------------------------------------------------------------------------------------

  /** Buckets in name order with their creation time. */
  async listBuckets(): Promise<Array<{ name: string; created: Date }>> {
    const names = (await readdir(this.layout.root, { withFileTypes: true }))
      .filter((d) => d.isDirectory() && isValidBucketName(d.name))
      .map((d) => d.name)
      .sort(compareKeys);
    return Promise.all(
      names.map(async (name) => ({ name, created: new Date((await this.bucketMeta.read(name)).created) })),
    );
  }

  /**
   * Objects and bytes of each bucket, in name order, summed from the in-memory listing indexes: one
   * readdir of the data directory and no walk of the objects (a bucket whose index is not built yet is
   * read once, as its first listing would). Uploads in progress do not count.
   */
  async usage(): Promise<Array<{ bucket: string; objects: number; bytes: number }>> {
    const names = (await readdir(this.layout.root, { withFileTypes: true }))
      .filter((d) => d.isDirectory() && isValidBucketName(d.name))
      .map((d) => d.name)
      .sort(compareKeys);
    const out: Array<{ bucket: string; objects: number; bytes: number }> = [];
    for (const bucket of names) {
      // A bucket deleted since the readdir has no index to build: it is left out.
      const index = await this.indexes.get(bucket).catch(() => undefined);
      if (!index) continue;
      let bytes = 0;
      for (const entry of index.entries.values()) bytes += entry.size;
      out.push({ bucket, objects: index.entries.size, bytes });
    }
    return out;
  }

  /** Throws NoSuchBucket unless the bucket exists. */
  async assertBucket(bucket: string): Promise<void> {
    if (this.knownBuckets.has(bucket)) return;
    try {
      const s = await stat(this.layout.bucketDir(bucket));
      if (s.isDirectory()) {
        this.knownBuckets.add(bucket);
        return;
      }
    } catch (err) {
      if (!isNodeError(err, 'ENOENT')) throw err;
    }
    throw new StorageError('NoSuchBucket', { bucket });
  }

  /**
   * Creates a bucket and its metadata record; BucketExists when it exists. The name must be validated by
   * the caller. Bucket creation, deletion and configuration changes of one name run one at a time.
   */
  async createBucket(bucket: string): Promise<void> {
    await this.locks.run(`bucket:${bucket}`, async () => {
      try {
        await mkdir(this.layout.bucketDir(bucket));
      } catch (err) {
        if (isNodeError(err, 'EEXIST')) throw new StorageError('BucketExists', { bucket });
        throw err;
      }
      await this.bucketMeta.write(bucket, { created: new Date().toISOString() });
      await fsyncDir(this.layout.root);
    });
  }

  /**
   * Deletes an empty bucket with its unfinished uploads and its metadata record (configuration
   * included); BucketNotEmpty when it holds objects.
   */
  async deleteBucket(bucket: string): Promise<void> {
    await this.locks.run(`bucket:${bucket}`, async () => {
      await this.assertBucket(bucket);
      const index = await this.indexes.get(bucket);
      if (index.entries.size > 0) throw new StorageError('BucketNotEmpty', { bucket });
      this.knownBuckets.delete(bucket);
      this.metaCache.epoch++;
      this.metaCache.clear();
      const prefix = join(this.layout.bucketDir(bucket), '/');
      for (const shard of this.knownShards) if (shard.startsWith(prefix)) this.knownShards.delete(shard);
      await rm(this.layout.bucketDir(bucket), { recursive: true, force: true });
      this.indexes.drop(bucket);
      await rm(this.layout.uploadsDir(bucket), { recursive: true, force: true });
      await this.bucketMeta.remove(bucket);
    });
  }

  /** The bucket's metadata record (bucket-metadata.ts); NoSuchBucket when the bucket does not exist. */
  async bucketMetadata(bucket: string): Promise<BucketMetadata> {
    await this.assertBucket(bucket);
    return this.bucketMeta.read(bucket);
  }

  /**
   * Replaces the bucket's metadata with `change(current)`, durably, under the bucket's lock: a
   * DeleteBucket cannot come between the check that the bucket exists and the write, so no record
   * outlives its bucket. NoSuchBucket when the bucket does not exist.
   */
  async updateBucketMetadata(
    bucket: string,
    change: (current: BucketMetadata) => BucketMetadata,
  ): Promise<BucketMetadata> {
    return this.locks.run(`bucket:${bucket}`, async () => {
      await this.assertBucket(bucket);
      const next = change(await this.bucketMeta.read(bucket));
      await this.bucketMeta.write(bucket, next);
      return next;
    });
  }

  // ---- objects -------------------------------------------------------------------------------------

  /**
   * Streams a body into the staging area and fsyncs it. On any error the staged file is removed.
   * `onWritten` gets each chunk back once it is written, for a producer that reuses its buffers.
   */
  stage(chunks: AsyncIterable<Buffer>, onWritten?: (chunk: Buffer) => void): Promise<StagedFile> {
    return stageBody(this.layout.tmpDir, chunks, onWritten);
  }

  /** Removes a staged file that will not be committed. */
  async discard(staged: StagedFile): Promise<void> {
    await unlink(staged.path).catch(() => {});
  }

  /**
   * Drops the cached meta.json texts, for a process going idle: under load they spare a file read per
   * request, while quiet they only hold memory — each round of a soak with fresh keys added ≈ 1.5 MiB
   * of them to the heap, up to the cache's 16 MiB. Later reads fill it again.
   */
  dropCaches(): void {
    this.metaCache.clear();
  }

  /** What the meta.json cache holds now, in bytes as it charges them (tests, diagnostics). */
  get cachedMetaBytes(): number {
    return this.metaCache.bytes;
  }

  /** The object's metadata; NoSuchKey when absent. */
  async getMeta(bucket: string, key: string): Promise<ObjectMeta> {
    await this.assertBucket(bucket);
    const id = `${bucket}/${key}`;
    const cached = this.metaCache.get(id);
    if (cached !== undefined) return JSON.parse(cached) as ObjectMeta;
    const epoch = this.metaCache.epoch;
    const text = await readTextIfExists(join(this.layout.objectDir(bucket, key).dir, 'meta.json'));
    const meta = text === undefined ? undefined : (JSON.parse(text) as ObjectMeta);
    if (!meta || meta.key !== key) throw new StorageError('NoSuchKey', { bucket, key });
    if (epoch === this.metaCache.epoch) this.metaCache.set(id, text!);
    return meta;
  }

  /**
   * Commits an object from staged files (moved) or multipart part files (hard-linked), replacing any
   * previous version atomically. `parts` are in object order.
   */
  async commitObject(
    bucket: string,
    key: string,
    props: ObjectProperties,
    parts: CommitPart[],
    etag: string,
    checksum: ChecksumValue | undefined,
  ): Promise<ObjectMeta> {
    await this.assertBucket(bucket);
    const index = await this.indexes.get(bucket);
    const { shard, dir } = this.layout.objectDir(bucket, key);
    const dataId = randomUUID();
    const layout: PartLayout[] = parts.map((part) => {
      const { number, size, storedSize, etag, checksum } = part;
      if ('data' in part) {
        return { number, size, storedSize, etag, checksum, file: '', inline: part.data.toString('base64') };
      }
      return { number, size, storedSize, etag, checksum, file: `${dataId}.${part.number}` };
    });
    const meta: ObjectMeta = {
      format: 1,
      key,
      ...props,
      size: parts.reduce((n, p) => n + p.size, 0),
      etag,
      lastModified: new Date().toISOString(),
      checksum,
      parts: layout,
    };
    return this.locks.run(`${bucket}/${key}`, async () => {
      // The new meta.json is written and fsynced while the object directory is prepared: on a busy disk
      // each sequential file-system round trip saved is latency off every PUT.
      const metaText = JSON.stringify(meta);
      const metaTmp = writeTemp(this.layout.tmpDir, metaText);
      metaTmp.catch(() => {});
      let installed = false;
      try {
        const { isNewDir, parents } = await this.prepareObjectDir(bucket, shard, dir);
        for (let i = 0; i < parts.length; i++) {
          const part = parts[i]!;
          if ('data' in part) continue;
          const target = join(dir, layout[i]!.file);
          if (part.move) await rename(part.source, target);
          else await link(part.source, target);
        }
        await installFile(await metaTmp, dir, 'meta.json', parents);
        installed = true;
        // Reads that began before the rename may still return the old text: they must not cache it.
        this.metaCache.epoch++;
        this.metaCache.set(`${bucket}/${key}`, metaText);
        if (!index.entries.has(key)) insertSorted(index, key);
        index.entries.set(key, summaryOf(meta));
        // A directory made by this commit holds nothing else to sweep.
        if (!isNewDir)
          await removeStaleFiles(dir, new Set(layout.map((p) => p.file).filter((f) => f !== '')));
        return meta;
      } finally {
        if (!installed) await metaTmp.then((tmp) => unlink(tmp)).catch(() => {});
      }
    });
  }

  /**
   * Replaces the internal metadata of a committed object and keeps its data files: the metadata-only
   * rewrite of an SSE-C key rotation. `expected` is the metadata the caller read; NoSuchKey when the
   * object is gone, PreconditionFailed when it was replaced meanwhile.
   */
  async replaceInternal(
    bucket: string,
    key: string,
    expected: Pick<ObjectMeta, 'etag' | 'lastModified'>,
    internal: Record<string, string>,
  ): Promise<ObjectMeta> {
    await this.assertBucket(bucket);
    const index = await this.indexes.get(bucket);
    const { dir } = this.layout.objectDir(bucket, key);
    return this.locks.run(`${bucket}/${key}`, async () => {
      const text = await readTextIfExists(join(dir, 'meta.json'));
      const current = text === undefined ? undefined : (JSON.parse(text) as ObjectMeta);
      if (!current || current.key !== key) throw new StorageError('NoSuchKey', { bucket, key });
      if (current.etag !== expected.etag || current.lastModified !== expected.lastModified) {
        throw new StorageError('VersionChanged', { bucket, key });
      }
      const meta: ObjectMeta = { ...current, internal, lastModified: new Date().toISOString() };
      const metaText = JSON.stringify(meta);
      await writeFileAtomic(dir, 'meta.json', this.layout.tmpDir, metaText);
      this.metaCache.epoch++;
      this.metaCache.set(`${bucket}/${key}`, metaText);
      index.entries.set(key, summaryOf(meta));
      return meta;
    });
  }

  /**
   * Replaces the tag set of a committed object (none when `tags` is empty), keeping its data, ETag and
   * Last-Modified as S3 does. NoSuchKey when the object does not exist.
   */
  async replaceTags(bucket: string, key: string, tags: ObjectTag[]): Promise<ObjectMeta> {
    await this.assertBucket(bucket);
    const { dir } = this.layout.objectDir(bucket, key);
    return this.locks.run(`${bucket}/${key}`, async () => {
      const text = await readTextIfExists(join(dir, 'meta.json'));
      const current = text === undefined ? undefined : (JSON.parse(text) as ObjectMeta);
      if (!current || current.key !== key) throw new StorageError('NoSuchKey', { bucket, key });
      const meta: ObjectMeta = { ...current, tags: tags.length > 0 ? tags : undefined };
      const metaText = JSON.stringify(meta);
      await writeFileAtomic(dir, 'meta.json', this.layout.tmpDir, metaText);
      this.metaCache.epoch++;
      this.metaCache.set(`${bucket}/${key}`, metaText);
      return meta;
    });
  }

  /**
   * Makes the shard and object directories. `isNewDir` when the object directory is new; `parents` are
   * the directories that gained an entry (the shard for a new object directory, the bucket for a new
   * shard), which the commit must fsync for the new directories to survive a power loss.
   */
  private async prepareObjectDir(
    bucket: string,
    shard: string,
    dir: string,
  ): Promise<{ isNewDir: boolean; parents: string[] }> {
    const prepare = async () => {
      const parents: string[] = [];
      if (await this.ensureShard(shard)) parents.push(this.layout.bucketDir(bucket));
      const isNewDir = await mkdir(dir).then(
        () => true,
        (err) => {
          if (!isNodeError(err, 'EEXIST')) throw err;
          return false;
        },
      );
      if (isNewDir) parents.push(shard);
      return { isNewDir, parents };
    };
    try {
      return await prepare();
    } catch (err) {
      if (!isNodeError(err, 'ENOENT')) throw err;
      // A delete of the shard's last object may have removed the shard since it was cached.
      this.knownShards.delete(shard);
      try {
        return await prepare();
      } catch (again) {
        if (isNodeError(again, 'ENOENT')) throw new StorageError('NoSuchBucket', { bucket });
        throw again;
      }
    }
  }

  /**
   * Creates a shard directory once; failed mkdirs (EEXIST) are costly exceptions on the hot path. True
   * when this call created it.
   */
  private async ensureShard(shard: string): Promise<boolean> {
    if (this.knownShards.has(shard)) return false;
    const created = await mkdir(shard).then(
      () => true,
      (err) => {
        if (!isNodeError(err, 'EEXIST')) throw err;
        return false;
      },
    );
    this.knownShards.add(shard);
    return created;
  }

  /** Deletes an object; deleting a missing key succeeds, as in S3. */
  async deleteObject(bucket: string, key: string): Promise<void> {
    await this.assertBucket(bucket);
    const index = await this.indexes.get(bucket);
    const { shard, dir } = this.layout.objectDir(bucket, key);
    await this.locks.run(`${bucket}/${key}`, async () => {
      const meta = await readMeta(dir);
      if (!meta || meta.key !== key) return;
      await unlink(join(dir, 'meta.json'));
      this.metaCache.epoch++;
      this.metaCache.delete(`${bucket}/${key}`);
      if (index.entries.delete(key)) removeSorted(index, key);
      await fsyncDir(dir).catch(() => {});
      await rm(dir, { recursive: true, force: true });
      await rmdir(shard).then(
        () => this.knownShards.delete(shard),
        () => {},
      );
    });
  }

  /**
   * Opens the current version of an object for reading: its metadata and all its data files, so that a
   * concurrent overwrite or delete cannot pull the data from under the reader (see open-object.ts).
   * NoSuchKey when absent.
   *
   * Without a lock first: a commit removes the previous version's files only after its meta.json is in
   * place, so a data file missing here means the version just read was replaced (or deleted) meanwhile.
   * Then again under the key's lock, where no commit or delete runs: the metadata read there names
   * files that exist, so a read that overlaps any number of overwrites answers one version, never 404.
   */
  async openObject(bucket: string, key: string): Promise<ObjectReader> {
    const opened = await this.tryOpenObject(bucket, key);
    if (opened) return opened;
    return this.locks.run(`${bucket}/${key}`, async () => {
      const again = await this.tryOpenObject(bucket, key);
      // Under the lock a missing data file is damage, not a race; it reads as a missing object, as before.
      if (!again) throw new StorageError('NoSuchKey', { bucket, key });
      return again;
    });
  }

  /** The object opened, or undefined when one of its data files is gone. */
  private async tryOpenObject(bucket: string, key: string): Promise<OpenObject | undefined> {
    const meta = await this.getMeta(bucket, key);
    const { dir } = this.layout.objectDir(bucket, key);
    const fds: number[] = [];
    try {
      for (const part of meta.parts) {
        if (part.inline !== undefined || part.storedSize === 0) {
          fds.push(-1);
          continue;
        }
        if (!DATA_FILE.test(part.file))
          throw new Error(`corrupt metadata of ${meta.key}: bad part file name`);
        fds.push(await openFdAsync(join(dir, part.file), 'r'));
      }
    } catch (err) {
      await Promise.all(fds.filter((fd) => fd >= 0).map((fd) => closeFdAsync(fd).catch(() => {})));
      if (isNodeError(err, 'ENOENT')) return undefined;
      throw err;
    }
    return new OpenObject(meta, fds);
  }

  /** One page of keys in byte order, grouping by delimiter into common prefixes. */
  async list(bucket: string, opts: ListOptions): Promise<ListPage> {
    await this.assertBucket(bucket);
    return listPage(await this.indexes.get(bucket), opts);
  }

  // ---- multipart uploads (multipart.ts) ------------------------------------------------------------

  /** Starts an upload and returns its metadata (with its id). */
  async createUpload(
    bucket: string,
    key: string,
    props: ObjectProperties,
    checksumAlgorithm: string | undefined,
  ): Promise<UploadMeta> {
    return this.uploads.createUpload(bucket, key, props, checksumAlgorithm);
  }

  /** The upload's metadata; NoSuchUpload unless it exists for this bucket and key. */
  getUpload(bucket: string, key: string, uploadId: string): Promise<UploadMeta> {
    return this.uploads.getUpload(bucket, key, uploadId);
  }

  /** Commits a staged part, replacing an earlier upload of the same part number. */
  commitPart(
    bucket: string,
    upload: UploadMeta,
    staged: StagedFile,
    part: Omit<UploadedPart, 'file' | 'lastModified'>,
  ): Promise<UploadedPart> {
    return this.uploads.commitPart(bucket, upload, staged, part);
  }

  /** The upload's parts in part-number order. */
  listParts(bucket: string, upload: UploadMeta): Promise<UploadedPart[]> {
    return this.uploads.listParts(bucket, upload);
  }

  /** Uploads in progress in a bucket, ordered by key then initiation time. */
  listUploads(bucket: string): Promise<UploadMeta[]> {
    return this.uploads.listUploads(bucket);
  }

  /** Completes an upload from the chosen parts (validated by the caller against listParts). */
  completeUpload(
    bucket: string,
    upload: UploadMeta,
    parts: UploadedPart[],
    etag: string,
    checksum: ChecksumValue | undefined,
  ): Promise<ObjectMeta> {
    return this.uploads.completeUpload(bucket, upload, parts, etag, checksum);
  }

  /** Aborts an upload and removes its parts; NoSuchUpload when it does not exist. */
  abortUpload(bucket: string, key: string, uploadId: string): Promise<void> {
    return this.uploads.abortUpload(bucket, key, uploadId);
  }
}
