// The calls the S3 handlers make into server-side encryption, phrased in terms of an S3Context so
// that each handler needs only a line or two.
import { dareEncryptedSize, sealObjectKey, zeroize } from '@kms-chain/crypto';
import type { S3Context } from '../s3/context.js';
import { S3Error } from '../s3/errors.js';
import type { ListPage } from '../storage/fs-store.js';
import type { ObjectMeta, UploadMeta } from '../storage/types.js';
import { readSealedMetadata, writeSealedMetadata } from './metadata.js';
import { hasSseC, parseSseC, SSEC_COPY_PREFIX, SSEC_PREFIX } from './request.js';
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

/**
 * SSE-C key rotation (§3): a same-object CopyObject with the old key as copy source and a new SSE-C
 * key re-seals the object key under the new key with the same IV; the data is not rewritten.
 * `srcKm` is the object key unsealed with the old key. Returns the updated metadata.
 */
export async function rotateSseCKey(
  ctx: S3Context,
  bucket: string,
  meta: ObjectMeta,
  srcKm: ObjectKeyMaterial,
): Promise<{ meta: ObjectMeta; headers: Record<string, string> }> {
  const sealed = readSealedMetadata(meta.internal);
  const next = parseSseC(getter(ctx));
  if (sealed?.kind !== 'SSE-C' || !next) throw new Error('not an SSE-C rotation');
  try {
    const resealed = sealObjectKey(srcKm.oek, next.key, {
      domain: 'SSE-C',
      bucket,
      object: meta.key,
      iv: sealed.sealed.iv,
    });
    const record = { kind: 'SSE-C' as const, sealed: resealed, multipart: sealed.multipart };
    const internal = { ...meta.internal, ...writeSealedMetadata(record) };
    const updated = await ctx.store.replaceInternal(bucket, meta.key, meta, internal);
    return { meta: updated, headers: sseResponseHeaders(record, next.keyMd5) };
  } finally {
    zeroize(next.key);
  }
}

/** True when a CopyObject is an SSE-C key rotation of `meta` (same object, SSE-C in and out). */
export function isSseCRotation(ctx: S3Context, sameObject: boolean, meta: ObjectMeta): boolean {
  return (
    sameObject &&
    readSealedMetadata(meta.internal)?.kind === 'SSE-C' &&
    hasSseC(getter(ctx)) &&
    hasSseC(getter(ctx), true)
  );
}

/**
 * The error of a rotation whose old key does not open the object: 400 when old and new key are the same
 * (MinIO: the parameters do not match the original ones), else the 403 as given.
 */
export function rotationKeyError(ctx: S3Context, err: unknown): unknown {
  const get = getter(ctx);
  if (
    err instanceof S3Error &&
    err.code === 'AccessDenied' &&
    get(`${SSEC_COPY_PREFIX}key`) !== undefined &&
    get(`${SSEC_COPY_PREFIX}key`) === get(`${SSEC_PREFIX}key`)
  ) {
    return new S3Error(
      'InvalidArgument',
      'The provided encryption parameters did not match the ones used originally.',
    );
  }
  return err;
}
