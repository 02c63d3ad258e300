// The filesystem object store. Layout under the data directory:
//
//   <bucket>/                                 one directory per bucket
//   <bucket>/<h[0:2]>/<h>/meta.json           h = hex SHA-256 of the object key: keys never become paths,
//   <bucket>/<h[0:2]>/<h>/<dataId>.<part>     so no key can escape the directory; data files immutable
//   .minio.sys/buckets/<bucket>.json          bucket creation time
//   .minio.sys/tmp/                           staging: bodies stream here, are fsynced, then renamed
//   .minio.sys/multipart/<bucket>/<uploadId>/ upload.json, part.N.json, part.N.<id> data
//
// Commit protocol of an object: data files are renamed (or hard-linked from multipart parts) into the
// object's directory under a fresh data id, then meta.json is written to a temp file, fsynced and
// renamed over the old one (the commit point), and the directory fsynced. Only then are the previous
// version's data files removed. A crash before the rename leaves unreferenced files that no read can
// see; a crash after it leaves the new object whole.
//
// What a crash (kill -9, power loss) can leave, and how init()'s startup sweep removes it. Staging,
// uploads and bucket records are swept before the first request; a bucket's object folders before the
// first write or listing of that bucket (both wait for its index, which the sweep builds), and in the
// background otherwise. Nothing can be mid-commit where the sweep runs, so anything unreferenced is
// garbage:
//   - staged bodies and metadata temp files in .minio.sys/tmp           → the folder is emptied
//   - data files no meta.json points at (a commit before its rename, an
//     overwrite before its cleanup)                                      → unlinked
//   - object directories without meta.json (a first commit before its
//     rename, a delete between unlinking meta.json and the directory)    → removed, and empty shards
//   - part data files no part.N.json points at (an UploadPart before its
//     record, a re-upload before the old part's removal), part records
//     whose file is gone                                                 → unlinked
//   - upload folders without upload.json, or of a bucket that is gone    → removed
//   - bucket records of a bucket whose folder is gone                    → removed
// Upload folders of a completed upload that the crash kept from removal stay listed until aborted, as
// after any completion the client never heard of; their parts are hard links, so the object is safe.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { close as closeFd, constants, open as openFd } from 'node:fs';
import {
  type FileHandle,
  link,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  rmdir,
  stat,
  unlink,
} from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KeyedLock } from '@kms-chain/concurrency';
import { StorageError } from './errors.js';
import { compareKeys, isValidBucketName } from './keys.js';
import { type ObjectReader, OpenObject } from './open-object.js';
import type {
  ChecksumValue,
  ObjectMeta,
  ObjectProperties,
  ObjectSummary,
  ObjectTag,
  PartLayout,
  UploadedPart,
  UploadMeta,
} from './types.js';

const SYS = '.minio.sys';
const WRITE_BATCH = 1024 * 1024;
const BACKGROUND_SYNC = 8 * 1024 * 1024;
const UPLOAD_ID = /^[A-Za-z0-9_-]{16,128}$/;
const DATA_FILE = /^[0-9a-f-]{36}\.\d{1,5}$/;
const PART_FILE = /^part\.\d{1,5}\.[0-9a-f-]{36}$/;
const PART_RECORD = /^part\.\d{1,5}\.json$/;
const SHARD = /^[0-9a-f]{2}$/;
const OBJECT_DIR = /^[0-9a-f]{64}$/;
const openFdAsync = promisify(openFd);
const closeFdAsync = promisify(closeFd);

/** A body written to the staging area, not yet visible. */
export interface StagedFile {
  path: string;
  size: number;
}

/** What init()'s startup sweep removed: counts of leftovers of a crashed run. */
export interface SweepReport {
  /** Files in the staging folder (bodies and metadata never committed). */
  staging: number;
  /** Data files of objects that their meta.json does not reference. */
  objectFiles: number;
  /** Object directories without a meta.json. */
  objectDirs: number;
  /** Part data files without a part record, and part records without their file. */
  partFiles: number;
  /** Upload folders without upload.json or of a deleted bucket. */
  uploads: number;
  /** Bucket records of buckets whose folder is gone. */
  bucketRecords: number;
}

const EMPTY_SWEEP: SweepReport = {
  staging: 0,
  objectFiles: 0,
  objectDirs: 0,
  partFiles: 0,
  uploads: 0,
  bucketRecords: 0,
};

/** Options of a listing over one bucket, in S3 terms. */
export interface ListOptions {
  prefix: string;
  delimiter: string;
  /** List keys strictly after this one (marker / start-after / continuation). */
  after: string;
  maxKeys: number;
}

/** A page of a listing. */
export interface ListPage {
  objects: Array<{ key: string; summary: ObjectSummary }>;
  commonPrefixes: string[];
  isTruncated: boolean;
  /** The last key or common prefix returned, for the next marker. */
  last: string | undefined;
}

/** Where a committed part's bytes come from. */
export type PartSource =
  | { source: string; move: boolean }
  | {
      /** Small bodies kept inline in the metadata file. */
      data: Buffer;
    };

/** Objects up to this size are stored inline in meta.json. */
export const INLINE_MAX = 16 * 1024;

/** A part chosen for CompleteMultipartUpload. */
export interface CompletePart {
  number: number;
  etag: string;
}

interface BucketIndex {
  entries: Map<string, ObjectSummary>;
  sorted: string[] | null;
}

/** Position of the first sorted key not below `key`. */
function lowerBoundOf(sorted: string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKeys(sorted[mid]!, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// Keep the sorted key list current instead of re-sorting a large bucket after every write.
function insertSorted(index: BucketIndex, key: string): void {
  if (index.sorted) index.sorted.splice(lowerBoundOf(index.sorted, key), 0, key);
}

function removeSorted(index: BucketIndex, key: string): void {
  if (!index.sorted) return;
  const at = lowerBoundOf(index.sorted, key);
  if (index.sorted[at] === key) index.sorted.splice(at, 1);
}

/**
 * Recently read or written meta.json texts, least recently used dropped first, bounded in bytes. This
 * process is the only writer of the directory, so commits write through and deletes evict; texts are
 * parsed on every hit, so callers always get their own object.
 */
class MetaCache {
  private readonly texts = new Map<string, string>();
  private bytes = 0;
  /** Bumped by every commit and delete; a read that overlapped one does not fill the cache. */
  epoch = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly maxEntry: number,
  ) {}

  get(id: string): string | undefined {
    const text = this.texts.get(id);
    if (text !== undefined) {
      this.texts.delete(id);
      this.texts.set(id, text);
    }
    return text;
  }

  set(id: string, text: string): void {
    this.delete(id);
    if (text.length > this.maxEntry) return;
    this.texts.set(id, text);
    this.bytes += text.length;
    for (const [old, oldText] of this.texts) {
      if (this.bytes <= this.maxBytes) break;
      this.texts.delete(old);
      this.bytes -= oldText.length;
    }
  }

  delete(id: string): void {
    const text = this.texts.get(id);
    if (text === undefined) return;
    this.texts.delete(id);
    this.bytes -= text.length;
  }

  clear(): void {
    this.texts.clear();
    this.bytes = 0;
  }
}

function isNodeError(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}

function summaryOf(meta: ObjectMeta): ObjectSummary {
  return {
    size: meta.size,
    etag: meta.etag,
    lastModified: meta.lastModified,
    storageClass: meta.storageClass,
  };
}

async function fsyncDir(path: string): Promise<void> {
  const fh = await open(path, constants.O_RDONLY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Writes `data` to `path` atomically: temp file, fsync, rename, fsync of the directory. */
async function writeFileAtomic(dir: string, name: string, tmpDir: string, data: string): Promise<void> {
  await installFile(await writeTemp(tmpDir, data), dir, name);
}

/** Writes `data` to a new fsynced file in `tmpDir` and returns its path. */
async function writeTemp(tmpDir: string, data: string): Promise<string> {
  const tmp = join(tmpDir, `${randomUUID()}.json`);
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(data);
    await fh.datasync();
  } catch (err) {
    await fh.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw err;
  }
  await fh.close();
  return tmp;
}

/**
 * Renames a written temp file to `dir/name` and fsyncs the directory: the commit point. `parents` are
 * directories whose new entries (`dir` itself, its shard) must be durable too; they are synced together.
 */
async function installFile(tmp: string, dir: string, name: string, parents: string[] = []): Promise<void> {
  try {
    await rename(tmp, join(dir, name));
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
  await Promise.all([dir, ...parents].map(fsyncDir));
}

/**
 * Writes an async stream of chunks to a file, keeping one write in flight while the next batch arrives.
 * `onWritten` receives each chunk once it is written (not yet synced) and no longer referenced here.
 */
async function writeChunks(
  fh: FileHandle,
  chunks: AsyncIterable<Buffer>,
  onWritten?: (chunk: Buffer) => void,
): Promise<number> {
  let position = 0;
  let batch: Buffer[] = [];
  let batchBytes = 0;
  let inFlight: Promise<void> | null = null;
  const flush = async (buffers: Buffer[], bytes: number, at: number): Promise<void> => {
    let { bytesWritten } = await fh.writev(buffers, at);
    // writev may write less than asked; finish the remainder.
    while (bytesWritten < bytes) {
      const rest = Buffer.concat(buffers).subarray(bytesWritten);
      const r = await fh.write(rest, 0, rest.length, at + bytesWritten);
      bytesWritten += r.bytesWritten;
    }
    if (onWritten) for (const b of buffers) onWritten(b);
  };
  // Flushing to disk in the background while the body still arrives overlaps disk and network time;
  // the caller's final datasync then only waits for the tail.
  let syncing: Promise<void> | null = null;
  let unsynced = 0;
  for await (const chunk of chunks) {
    batch.push(chunk);
    batchBytes += chunk.length;
    if (batchBytes >= WRITE_BATCH) {
      if (inFlight) await inFlight;
      inFlight = flush(batch, batchBytes, position);
      // Surface a write error at the next await instead of as an unhandled rejection.
      inFlight.catch(() => {});
      position += batchBytes;
      unsynced += batchBytes;
      batch = [];
      batchBytes = 0;
      if (unsynced >= BACKGROUND_SYNC && !syncing) {
        unsynced = 0;
        const started: Promise<void> = inFlight.then(() => fh.datasync());
        syncing = started.finally(() => {
          syncing = null;
        });
        syncing.catch(() => {});
      }
    }
  }
  if (inFlight) await inFlight;
  if (batchBytes > 0) await flush(batch, batchBytes, position);
  if (syncing) await syncing;
  return position + batchBytes;
}

/** The object store over one data directory. Single process; all methods are safe to call concurrently. */
export class FsStore {
  private readonly sysDir: string;
  private readonly tmpDir: string;
  private readonly bucketMetaDir: string;
  private readonly multipartDir: string;
  private readonly indexes = new Map<string, Promise<BucketIndex>>();
  /** Buckets whose object folders the startup sweep has not cleaned yet; loading their index does. */
  private readonly unswept = new Set<string>();
  private readonly sweepReport: SweepReport = { ...EMPTY_SWEEP };
  private swept: Promise<SweepReport> = Promise.resolve({ ...EMPTY_SWEEP });
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
    this.sysDir = join(root, SYS);
    this.tmpDir = join(this.sysDir, 'tmp');
    this.bucketMetaDir = join(this.sysDir, 'buckets');
    this.multipartDir = join(this.sysDir, 'multipart');
  }

  /**
   * Creates the system folders and sweeps what a crashed run left behind (see the layout notes). The
   * staging area, uploads and bucket records are swept before this resolves, so it must finish before
   * any other method is called. Each bucket's object folders are swept in the background, one bucket
   * after another, as that bucket's listing index is built from the same meta.json reads: every write
   * and listing awaits the index, so no commit can race its bucket's sweep, and a request for a bucket
   * not reached yet sweeps that bucket first. sweepDone() tells when all of it has finished.
   */
  async init(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    this.sweepReport.staging = (await readdir(this.tmpDir).catch(() => [] as string[])).length;
    await rm(this.tmpDir, { recursive: true, force: true });
    for (const dir of [this.tmpDir, this.bucketMetaDir, this.multipartDir])
      await mkdir(dir, { recursive: true });
    const buckets = (await readdir(this.root, { withFileTypes: true }))
      .filter((d) => d.isDirectory() && isValidBucketName(d.name))
      .map((d) => d.name);
    await this.sweepUploads(new Set(buckets), this.sweepReport);
    for (const name of await readdir(this.bucketMetaDir)) {
      if (name.endsWith('.json') && !buckets.includes(name.slice(0, -'.json'.length))) {
        await unlink(join(this.bucketMetaDir, name));
        this.sweepReport.bucketRecords++;
      }
    }
    for (const bucket of buckets) this.unswept.add(bucket);
    this.swept = (async () => {
      for (const bucket of buckets) {
        // A bucket deleted meanwhile, or a failing disk, leaves the sweep to that bucket's next use.
        await this.index(bucket).catch(() => {});
      }
      return { ...this.sweepReport };
    })();
  }

  /** Resolves, once the startup sweep has finished, with the counts of what it removed. */
  sweepDone(): Promise<SweepReport> {
    return this.swept;
  }

  /** Removes unreferenced data files and metadata-less object directories of one bucket; its index. */
  private async sweepBucket(bucket: string, report: SweepReport): Promise<BucketIndex> {
    const entries = new Map<string, ObjectSummary>();
    const dir = this.bucketDir(bucket);
    for (const shard of await readdir(dir)) {
      if (!SHARD.test(shard)) continue;
      const shardDir = join(dir, shard);
      const hashes = (await readdir(shardDir).catch(() => [] as string[])).filter((h) => OBJECT_DIR.test(h));
      const metas = await Promise.all(
        hashes.map(async (h) => {
          const objDir = join(shardDir, h);
          let meta: ObjectMeta;
          try {
            const text = await this.readMetaText(objDir);
            if (text === undefined) {
              await rm(objDir, { recursive: true, force: true });
              report.objectDirs++;
              return undefined;
            }
            meta = JSON.parse(text) as ObjectMeta;
          } catch {
            // meta.json is only ever renamed into place whole; one that cannot be read or parsed is not a
            // crash's doing, so its folder is left as it is for a person to look at (and not listed).
            return undefined;
          }
          // Parts that do not name their files mean a damaged meta.json: then nothing is removed.
          if (!Array.isArray(meta.parts) || meta.parts.some((p) => typeof p?.file !== 'string')) return meta;
          const keep = new Set(meta.parts.map((p) => p.file).filter((f) => f !== ''));
          for (const name of await readdir(objDir)) {
            if (name === 'meta.json' || keep.has(name)) continue;
            await rm(join(objDir, name), { recursive: true, force: true });
            report.objectFiles++;
          }
          return meta;
        }),
      );
      for (const meta of metas) if (meta) entries.set(meta.key, summaryOf(meta));
      if (metas.every((m) => m === undefined)) await rmdir(shardDir).catch(() => {});
    }
    return { entries, sorted: null };
  }

  /** Removes broken and orphaned uploads and unreferenced part files. */
  private async sweepUploads(buckets: Set<string>, report: SweepReport): Promise<void> {
    for (const bucket of await readdir(this.multipartDir)) {
      const bucketUploads = join(this.multipartDir, bucket);
      if (!buckets.has(bucket)) {
        report.uploads += (await readdir(bucketUploads).catch(() => [] as string[])).length;
        await rm(bucketUploads, { recursive: true, force: true });
        continue;
      }
      for (const uploadId of await readdir(bucketUploads)) {
        if (!UPLOAD_ID.test(uploadId)) continue;
        const dir = join(bucketUploads, uploadId);
        const names = await readdir(dir).catch(() => [] as string[]);
        if (!names.includes('upload.json')) {
          await rm(dir, { recursive: true, force: true });
          report.uploads++;
          continue;
        }
        const referenced = new Set<string>();
        for (const name of names.filter((n) => PART_RECORD.test(n))) {
          let file: unknown;
          try {
            file = (JSON.parse(await readFile(join(dir, name), 'utf8')) as { file?: unknown }).file;
          } catch {
            file = undefined;
          }
          if (typeof file === 'string' && names.includes(file)) referenced.add(file);
          else {
            await unlink(join(dir, name));
            report.partFiles++;
          }
        }
        for (const name of names) {
          if (PART_FILE.test(name) && !referenced.has(name)) {
            await unlink(join(dir, name));
            report.partFiles++;
          }
        }
      }
    }
  }

  // ---- buckets -------------------------------------------------------------------------------------

  /**
   * The bucket's directory. Every path built from a bucket name goes through here or bucketName(), so a
   * name that is not a valid bucket name (such as ".." from a copy source) can never address a path.
   */
  private bucketDir(bucket: string): string {
    return join(this.root, this.bucketName(bucket));
  }

  private bucketName(bucket: string): string {
    if (!isValidBucketName(bucket)) throw new StorageError('InvalidBucketName', { bucket });
    return bucket;
  }

  /** Buckets in name order with their creation time. */
  async listBuckets(): Promise<Array<{ name: string; created: Date }>> {
    const names = (await readdir(this.root, { withFileTypes: true }))
      .filter((d) => d.isDirectory() && isValidBucketName(d.name))
      .map((d) => d.name)
      .sort(compareKeys);
    return Promise.all(names.map(async (name) => ({ name, created: await this.bucketCreated(name) })));
  }

  private async bucketCreated(bucket: string): Promise<Date> {
    try {
      const meta = JSON.parse(
        await readFile(join(this.bucketMetaDir, `${this.bucketName(bucket)}.json`), 'utf8'),
      ) as {
        created: string;
      };
      return new Date(meta.created);
    } catch {
      return (await stat(this.bucketDir(bucket))).mtime;
    }
  }

  /** Throws NoSuchBucket unless the bucket exists. */
  async assertBucket(bucket: string): Promise<void> {
    if (this.knownBuckets.has(bucket)) return;
    try {
      const s = await stat(this.bucketDir(bucket));
      if (s.isDirectory()) {
        this.knownBuckets.add(bucket);
        return;
      }
    } catch (err) {
      if (!isNodeError(err, 'ENOENT')) throw err;
    }
    throw new StorageError('NoSuchBucket', { bucket });
  }

  /** Creates a bucket; BucketAlreadyOwnedByYou when it exists. The name must be validated by the caller. */
  async createBucket(bucket: string): Promise<void> {
    try {
      await mkdir(this.bucketDir(bucket));
    } catch (err) {
      if (isNodeError(err, 'EEXIST')) throw new StorageError('BucketExists', { bucket });
      throw err;
    }
    await writeFileAtomic(
      this.bucketMetaDir,
      `${bucket}.json`,
      this.tmpDir,
      JSON.stringify({ created: new Date().toISOString() }),
    );
    await fsyncDir(this.root);
  }

  /** Deletes an empty bucket and its unfinished uploads; BucketNotEmpty when it holds objects. */
  async deleteBucket(bucket: string): Promise<void> {
    await this.assertBucket(bucket);
    const index = await this.index(bucket);
    if (index.entries.size > 0) throw new StorageError('BucketNotEmpty', { bucket });
    this.knownBuckets.delete(bucket);
    this.metaCache.epoch++;
    this.metaCache.clear();
    const prefix = join(this.bucketDir(bucket), '/');
    for (const shard of this.knownShards) if (shard.startsWith(prefix)) this.knownShards.delete(shard);
    await rm(this.bucketDir(bucket), { recursive: true, force: true });
    this.indexes.delete(bucket);
    await rm(join(this.multipartDir, this.bucketName(bucket)), { recursive: true, force: true });
    await rm(join(this.bucketMetaDir, `${this.bucketName(bucket)}.json`), { force: true });
  }

  // ---- the in-memory listing index -----------------------------------------------------------------

  private index(bucket: string): Promise<BucketIndex> {
    let index = this.indexes.get(bucket);
    if (!index) {
      index = this.loadIndex(bucket);
      this.indexes.set(bucket, index);
      index.catch(() => this.indexes.delete(bucket));
    }
    return index;
  }

  private async loadIndex(bucket: string): Promise<BucketIndex> {
    if (this.unswept.has(bucket)) {
      const index = await this.sweepBucket(bucket, this.sweepReport);
      this.unswept.delete(bucket);
      return index;
    }
    const entries = new Map<string, ObjectSummary>();
    const dir = this.bucketDir(bucket);
    for (const shard of await readdir(dir)) {
      if (!SHARD.test(shard)) continue;
      const hashes = await readdir(join(dir, shard)).catch(() => [] as string[]);
      const metas = await Promise.all(
        hashes.map((h) => this.readMetaFile(join(dir, shard, h)).catch(() => undefined)),
      );
      for (const meta of metas) if (meta) entries.set(meta.key, summaryOf(meta));
    }
    return { entries, sorted: null };
  }

  private async readMetaFile(objDir: string): Promise<ObjectMeta | undefined> {
    const text = await this.readMetaText(objDir);
    return text === undefined ? undefined : (JSON.parse(text) as ObjectMeta);
  }

  private async readMetaText(objDir: string): Promise<string | undefined> {
    try {
      return await readFile(join(objDir, 'meta.json'), 'utf8');
    } catch (err) {
      if (isNodeError(err, 'ENOENT') || isNodeError(err, 'ENOTDIR')) return undefined;
      throw err;
    }
  }

  // ---- objects -------------------------------------------------------------------------------------

  private objectDir(bucket: string, key: string): { shard: string; dir: string } {
    const h = createHash('sha256').update(key, 'utf8').digest('hex');
    const shard = join(this.bucketDir(bucket), h.slice(0, 2));
    return { shard, dir: join(shard, h) };
  }

  /**
   * Streams a body into the staging area and fsyncs it. On any error the staged file is removed.
   * `onWritten` gets each chunk back once it is written, for a producer that reuses its buffers.
   */
  async stage(chunks: AsyncIterable<Buffer>, onWritten?: (chunk: Buffer) => void): Promise<StagedFile> {
    const path = join(this.tmpDir, randomUUID());
    const fh = await open(path, 'wx', 0o600);
    try {
      const size = await writeChunks(fh, chunks, onWritten);
      await fh.datasync();
      await fh.close();
      return { path, size };
    } catch (err) {
      await fh.close().catch(() => {});
      await unlink(path).catch(() => {});
      throw err;
    }
  }

  /** Removes a staged file that will not be committed. */
  async discard(staged: StagedFile): Promise<void> {
    await unlink(staged.path).catch(() => {});
  }

  /** The object's metadata; NoSuchKey when absent. */
  async getMeta(bucket: string, key: string): Promise<ObjectMeta> {
    await this.assertBucket(bucket);
    const id = `${bucket}/${key}`;
    const cached = this.metaCache.get(id);
    if (cached !== undefined) return JSON.parse(cached) as ObjectMeta;
    const epoch = this.metaCache.epoch;
    const text = await this.readMetaText(this.objectDir(bucket, key).dir);
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
    parts: Array<Omit<PartLayout, 'file' | 'inline'> & PartSource>,
    etag: string,
    checksum: ChecksumValue | undefined,
  ): Promise<ObjectMeta> {
    await this.assertBucket(bucket);
    const index = await this.index(bucket);
    const { shard, dir } = this.objectDir(bucket, key);
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
      const metaTmp = writeTemp(this.tmpDir, metaText);
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
        if (!isNewDir) await this.sweep(dir, new Set(layout.map((p) => p.file).filter((f) => f !== '')));
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
    const index = await this.index(bucket);
    const { dir } = this.objectDir(bucket, key);
    return this.locks.run(`${bucket}/${key}`, async () => {
      const text = await this.readMetaText(dir);
      const current = text === undefined ? undefined : (JSON.parse(text) as ObjectMeta);
      if (!current || current.key !== key) throw new StorageError('NoSuchKey', { bucket, key });
      if (current.etag !== expected.etag || current.lastModified !== expected.lastModified) {
        throw new StorageError('VersionChanged', { bucket, key });
      }
      const meta: ObjectMeta = { ...current, internal, lastModified: new Date().toISOString() };
      const metaText = JSON.stringify(meta);
      await writeFileAtomic(dir, 'meta.json', this.tmpDir, metaText);
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
    const { dir } = this.objectDir(bucket, key);
    return this.locks.run(`${bucket}/${key}`, async () => {
      const text = await this.readMetaText(dir);
      const current = text === undefined ? undefined : (JSON.parse(text) as ObjectMeta);
      if (!current || current.key !== key) throw new StorageError('NoSuchKey', { bucket, key });
      const meta: ObjectMeta = { ...current, tags: tags.length > 0 ? tags : undefined };
      const metaText = JSON.stringify(meta);
      await writeFileAtomic(dir, 'meta.json', this.tmpDir, metaText);
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
      if (await this.ensureShard(shard)) parents.push(this.bucketDir(bucket));
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

  /** Removes files of earlier versions and of crashed commits from an object's directory. */
  private async sweep(dir: string, keep: Set<string>): Promise<void> {
    for (const name of await readdir(dir)) {
      if (name === 'meta.json' || keep.has(name)) continue;
      await unlink(join(dir, name)).catch(() => {});
    }
  }

  /** Deletes an object; deleting a missing key succeeds, as in S3. */
  async deleteObject(bucket: string, key: string): Promise<void> {
    await this.assertBucket(bucket);
    const index = await this.index(bucket);
    const { shard, dir } = this.objectDir(bucket, key);
    await this.locks.run(`${bucket}/${key}`, async () => {
      const meta = await this.readMetaFile(dir);
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
    const { dir } = this.objectDir(bucket, key);
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
    const index = await this.index(bucket);
    if (!index.sorted) index.sorted = [...index.entries.keys()].sort(compareKeys);
    const keys = index.sorted;
    const { prefix, delimiter, after, maxKeys } = opts;
    const lowerBound = (pred: (k: string) => boolean): number => {
      // First index where pred is false, for pred true-then-false over the sorted keys.
      let lo = 0;
      let hi = keys.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (pred(keys[mid]!)) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    let i =
      compareKeys(after, prefix) >= 0
        ? lowerBound((k) => compareKeys(k, after) <= 0)
        : lowerBound((k) => compareKeys(k, prefix) < 0);
    const page: ListPage = { objects: [], commonPrefixes: [], isTruncated: false, last: undefined };
    let count = 0;
    while (i < keys.length) {
      const key = keys[i]!;
      if (!key.startsWith(prefix)) break;
      let item: string = key;
      let isPrefix = false;
      if (delimiter !== '') {
        const at = key.indexOf(delimiter, prefix.length);
        if (at >= 0) {
          item = key.slice(0, at + delimiter.length);
          isPrefix = true;
        }
      }
      if (isPrefix && compareKeys(item, after) <= 0 && after.startsWith(item)) {
        // The marker lies inside this common prefix, which was returned on an earlier page.
        i = lowerBound((k) => compareKeys(k, item) < 0 || k.startsWith(item));
        continue;
      }
      if (count === maxKeys) {
        page.isTruncated = true;
        break;
      }
      if (isPrefix) {
        page.commonPrefixes.push(item);
        i = lowerBound((k) => compareKeys(k, item) < 0 || k.startsWith(item));
      } else {
        const summary = index.entries.get(key);
        if (summary) page.objects.push({ key, summary });
        i++;
      }
      page.last = item;
      count++;
    }
    return page;
  }

  // ---- multipart -----------------------------------------------------------------------------------

  private uploadDir(bucket: string, uploadId: string): string {
    if (!UPLOAD_ID.test(uploadId)) throw new StorageError('NoSuchUpload', { bucket });
    return join(this.multipartDir, this.bucketName(bucket), uploadId);
  }

  /** Starts an upload and returns its id. */
  async createUpload(
    bucket: string,
    key: string,
    props: ObjectProperties,
    checksumAlgorithm: string | undefined,
  ): Promise<UploadMeta> {
    await this.assertBucket(bucket);
    const uploadId = randomBytes(24).toString('base64url');
    const dir = this.uploadDir(bucket, uploadId);
    const bucketUploads = join(this.multipartDir, this.bucketName(bucket));
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
      await writeTemp(this.tmpDir, JSON.stringify(meta)),
      dir,
      'upload.json',
      madeBucketUploads ? [bucketUploads, this.multipartDir] : [bucketUploads],
    );
    return meta;
  }

  /** The upload's metadata; NoSuchUpload unless it exists for this bucket and key. */
  async getUpload(bucket: string, key: string, uploadId: string): Promise<UploadMeta> {
    await this.assertBucket(bucket);
    let meta: UploadMeta;
    try {
      meta = JSON.parse(
        await readFile(join(this.uploadDir(bucket, uploadId), 'upload.json'), 'utf8'),
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
    const dir = this.uploadDir(bucket, upload.uploadId);
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
        await writeFileAtomic(dir, `part.${part.number}.json`, this.tmpDir, JSON.stringify(entry));
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
    const dir = this.uploadDir(bucket, upload.uploadId);
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
    await this.assertBucket(bucket);
    const dir = join(this.multipartDir, this.bucketName(bucket));
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
    const dir = this.uploadDir(bucket, upload.uploadId);
    const { format: _f, key, uploadId: _u, initiated: _i, checksumAlgorithm: _c, ...props } = upload;
    for (const p of parts)
      if (!PART_FILE.test(p.file)) throw new Error('corrupt upload metadata: bad part file name');
    const meta = await this.commitObject(
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
    await this.removeUpload(this.uploadDir(bucket, uploadId));
  }
}
