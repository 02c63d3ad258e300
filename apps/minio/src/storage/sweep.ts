// What a crash (kill -9, power loss) can leave, and how the startup sweep removes it. Staging, uploads
// and bucket records are swept before the first request; a bucket's object folders before the first
// write or listing of that bucket (both wait for its index, which the sweep builds: bucket-index.ts),
// and in the background otherwise. Nothing can be mid-commit where the sweep runs, so anything
// unreferenced is garbage:
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
import { readdir, readFile, rm, rmdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { readTextIfExists } from './atomic-file.js';
import { type Layout, OBJECT_DIR, PART_FILE, PART_RECORD, SHARD, UPLOAD_ID } from './layout.js';
import type { ObjectMeta } from './types.js';

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

/** A report with nothing removed. */
export function emptySweepReport(): SweepReport {
  return {
    staging: 0,
    objectFiles: 0,
    objectDirs: 0,
    partFiles: 0,
    uploads: 0,
    bucketRecords: 0,
  };
}

/** Empties the staging folder: nothing in it was committed. */
export async function sweepStaging(layout: Layout, report: SweepReport): Promise<void> {
  report.staging = (await readdir(layout.tmpDir).catch(() => [] as string[])).length;
  await rm(layout.tmpDir, { recursive: true, force: true });
}

/**
 * Removes unreferenced data files and metadata-less object directories of one bucket; returns the
 * metadata of its objects, from which its index is built.
 */
export async function sweepBucket(
  layout: Layout,
  bucket: string,
  report: SweepReport,
): Promise<ObjectMeta[]> {
  const found: ObjectMeta[] = [];
  const dir = layout.bucketDir(bucket);
  for (const shard of await readdir(dir)) {
    if (!SHARD.test(shard)) continue;
    const shardDir = join(dir, shard);
    const hashes = (await readdir(shardDir).catch(() => [] as string[])).filter((h) => OBJECT_DIR.test(h));
    const metas = await Promise.all(
      hashes.map(async (h) => {
        const objDir = join(shardDir, h);
        let meta: ObjectMeta;
        try {
          const text = await readTextIfExists(join(objDir, 'meta.json'));
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
    for (const meta of metas) if (meta) found.push(meta);
    if (metas.every((m) => m === undefined)) await rmdir(shardDir).catch(() => {});
  }
  return found;
}

/** Removes broken and orphaned uploads and unreferenced part files. */
export async function sweepUploads(layout: Layout, buckets: Set<string>, report: SweepReport): Promise<void> {
  for (const bucket of await readdir(layout.multipartDir)) {
    const bucketUploads = join(layout.multipartDir, bucket);
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

/**
 * Removes files of earlier versions and of crashed commits from an object's directory, after a commit.
 * Readers of an earlier version hold its files open (open-object.ts), so removing them is safe.
 */
export async function removeStaleFiles(dir: string, keep: Set<string>): Promise<void> {
  for (const name of await readdir(dir)) {
    if (name === 'meta.json' || keep.has(name)) continue;
    await unlink(join(dir, name)).catch(() => {});
  }
}
