// The calls the S3 handlers make into server-side encryption, phrased in terms of an S3Context so
// that each handler needs only a line or two.
import { dareEncryptedSize } from '@kms-chain/crypto';
import type { S3Context } from '../s3/context.js';
import type { ListPage } from '../storage/fs-store.js';
import type { ObjectMeta, UploadMeta } from '../storage/types.js';
import { readSealedMetadata } from './metadata.js';
import { type ObjectKeyMaterial, SseService, sseResponseHeaders, visibleEtag } from './service.js';

const LISTING_CONCURRENCY = 16;

function service(ctx: S3Context): SseService | undefined {
  return ctx.config.sse;
}

function isSecure(ctx: S3Context): boolean {
  return ctx.req.protocol === 'https';
}

const getter = (ctx: S3Context) => (name: string) => ctx.header(name);

/** The encryption of a new object or upload (headers > bucket default > auto), key created and sealed. */
export async function keyForWrite(
  ctx: S3Context,
  bucket: string,
  key: string,
  multipart = false,
): Promise<ObjectKeyMaterial | undefined> {
  const sse = service(ctx);
  if (!sse) return undefined;
  const req = await sse.resolveWrite(getter(ctx), bucket, isSecure(ctx));
  return req ? sse.createKey(req, bucket, key, multipart) : undefined;
}

/**
 * Checks a read's SSE headers against the object and unseals its key when one is needed (GET, copy
 * sources, and HEAD of single-part SSE-S3 objects whose ETag is sealed).
 */
export async function keyForRead(
  ctx: S3Context,
  bucket: string,
  meta: ObjectMeta,
  opts: { copy?: boolean; isHead?: boolean } = {},
): Promise<ObjectKeyMaterial | undefined> {
  const sse = service(ctx);
  if (!sse) return undefined;
  const sealed = readSealedMetadata(meta.internal);
  const needKey = !opts.isHead || (sealed?.kind === 'SSE-S3' && isSealedEtag(meta.etag));
  return sse.openForRead(getter(ctx), bucket, meta.key, meta.internal, {
    isSecure: isSecure(ctx),
    copy: opts.copy ?? false,
    needKey,
  });
}

/** The upload's object key for UploadPart / UploadPartCopy, or undefined for a plaintext upload. */
export async function keyForUpload(
  ctx: S3Context,
  bucket: string,
  upload: UploadMeta,
  needKey = true,
): Promise<ObjectKeyMaterial | undefined> {
  const sse = service(ctx);
  if (!sse) return undefined;
  return sse.openForRead(getter(ctx), bucket, upload.key, upload.internal, {
    isSecure: isSecure(ctx),
    upload: true,
    needKey,
  });
}

/** A view of the object with the ETag clients see (for conditionals and response headers). */
export function clientView(meta: ObjectMeta, km: ObjectKeyMaterial | undefined): ObjectMeta {
  if (!km) return meta;
  return { ...meta, etag: visibleEtag(meta.etag, km.kind, km.oek.length === 32 ? km.oek : undefined) };
}

/** Size of the stored bytes of a body of `size` plaintext bytes. */
export function storedSizeOf(
  size: number | undefined,
  km: ObjectKeyMaterial | undefined,
): number | undefined {
  return km && size !== undefined ? dareEncryptedSize(size) : size;
}

function isSealedEtag(etag: string): boolean {
  return !etag.includes('-') && etag.length > 32;
}

/**
 * Replaces the sealed ETags of a listing page by the ones clients see: SSE-KMS/SSE-C from the sealed
 * value alone, SSE-S3 single-part objects by unsealing their keys (one KMS call each, concurrently).
 */
export async function resolveListingEtags(ctx: S3Context, bucket: string, page: ListPage): Promise<void> {
  const sse = service(ctx);
  if (!sse) return;
  const todo = page.objects.filter((o) => isSealedEtag(o.summary.etag));
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < todo.length) {
      const item = todo[next++]!;
      const meta = await ctx.store.getMeta(bucket, item.key).catch(() => undefined);
      if (!meta) continue;
      const sealed = readSealedMetadata(meta.internal);
      let etag = meta.etag;
      if (sealed?.kind === 'SSE-S3') {
        const km = await sse.openForRead(() => undefined, bucket, meta.key, meta.internal, {
          isSecure: true,
        });
        try {
          etag = visibleEtag(meta.etag, 'SSE-S3', km?.oek);
        } finally {
          km?.dispose();
        }
      } else if (sealed) etag = visibleEtag(meta.etag, sealed.kind);
      item.summary = { ...item.summary, etag };
    }
  };
  await Promise.all(Array.from({ length: Math.min(LISTING_CONCURRENCY, todo.length) }, worker));
}

export { SseService };

/**
 * A function from the stored ETag of an upload's part to the one clients see. SSE-S3 uploads need their
 * object key for that (one KMS Decrypt); SSE-KMS/SSE-C part ETags show their last 32 hex characters.
 * The caller must call `dispose` when done.
 */
export async function uploadEtagViewer(
  ctx: S3Context,
  bucket: string,
  upload: UploadMeta,
): Promise<{ view: (stored: string) => string; dispose: () => void }> {
  const sealed = readSealedMetadata(upload.internal);
  if (!sealed) return { view: (e) => e, dispose: () => {} };
  if (sealed.kind !== 'SSE-S3') return { view: (e) => visibleEtag(e, sealed.kind), dispose: () => {} };
  const sse = service(ctx)!;
  const km = await sse.openForRead(() => undefined, bucket, upload.key, upload.internal, {
    isSecure: true,
    upload: true,
  });
  return { view: (e) => visibleEtag(e, 'SSE-S3', km?.oek), dispose: () => km?.dispose() };
}

/** The SSE response headers of an upload (CompleteMultipartUpload); none for SSE-C or plaintext. */
export function uploadSseHeaders(upload: UploadMeta): Record<string, string> {
  const sealed = readSealedMetadata(upload.internal);
  return sealed && sealed.kind !== 'SSE-C' ? sseResponseHeaders(sealed) : {};
}
