// The calls the S3 handlers make into server-side encryption, phrased in terms of a request context
// so that each handler needs only a line or two. The context is the interface below, which sse
// declares and the S3 layer's context satisfies: sse never imports the layer above it.
import { sealObjectKey, zeroize } from '@kms-chain/crypto';
import { S3Error } from '../errors.js';
import type { FsStore, ListPage } from '../storage/fs-store.js';
import type { ChecksumValue, ObjectMeta, UploadedPart, UploadMeta } from '../storage/types.js';
import { hasSealedChecksum, openPartChecksum } from './checksum-seal.js';
import { readSealedMetadata, writeSealedMetadata } from './metadata.js';
import {
  keyOfReadPlan,
  type ObjectWritePlan,
  objectWritePlan,
  type PartWritePlan,
  PLAINTEXT_OBJECT_WRITE,
  PLAINTEXT_PART_WRITE,
  PLAINTEXT_READ,
  partWritePlan,
  type ReadPlan,
  readPlan,
} from './plans.js';
import {
  hasAnySseHeader,
  hasSseC,
  insecureSseC,
  parseSseC,
  SSEC_COPY_PREFIX,
  SSEC_PREFIX,
} from './request.js';
import { type ObjectKeyMaterial, SseService, sseResponseHeaders, visibleEtag } from './service.js';

const LISTING_CONCURRENCY = 16;

/** What the SSE calls need of a request (the S3 layer's S3Context is one). */
export interface SseContext {
  /** A request header by lower-case name. */
  header(name: string): string | undefined;
  /** True when the request came over TLS (SSE-C needs it). */
  readonly isSecure: boolean;
  /** The server's SSE service; undefined when the server runs without one. */
  readonly sse: SseService | undefined;
  readonly store: FsStore;
}

function service(ctx: SseContext): SseService | undefined {
  return ctx.sse;
}

function isSecure(ctx: SseContext): boolean {
  return ctx.isSecure;
}

const getter = (ctx: SseContext) => (name: string) => ctx.header(name);

/**
 * MinIO's request-validity middleware (`sseTLSHandler`): any SSE-C or SSE-C copy header on a request
 * over plain HTTP is refused with 400 InvalidRequest on every route, before authentication (a client
 * with wrong credentials learns the same), unless the opt-out MINIO_API_SSEC_ALLOW_INSECURE is on.
 */
export function rejectInsecureSseC(
  get: (name: string) => string | undefined,
  isSecure: boolean,
  sse: SseService | undefined,
): void {
  if (isSecure || sse?.allowInsecureSseC) return;
  if (hasSseC(get) || hasSseC(get, true)) throw insecureSseC();
}

/** The encryption of a new object or upload (headers > bucket default > auto), key created and sealed. */
async function keyForWrite(
  ctx: SseContext,
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
async function keyForRead(
  ctx: SseContext,
  bucket: string,
  meta: ObjectMeta,
  opts: { copy?: boolean; isHead?: boolean } = {},
): Promise<ObjectKeyMaterial | undefined> {
  const sse = service(ctx);
  if (!sse) return undefined;
  const sealed = readSealedMetadata(meta.internal);
  // A HEAD needs the object key only to show what is sealed with it: an SSE-S3 ETag, or the checksum
  // when the client asks for it (x-amz-checksum-mode: ENABLED).
  const needKey =
    !opts.isHead ||
    (sealed?.kind === 'SSE-S3' && isSealedEtag(meta.etag)) ||
    (hasSealedChecksum(meta.internal) && isChecksumMode(ctx));
  return sse.openForRead(getter(ctx), bucket, meta.key, meta.internal, {
    isSecure: isSecure(ctx),
    copy: opts.copy ?? false,
    needKey,
  });
}

/** The upload's object key for UploadPart / UploadPartCopy, or undefined for a plaintext upload. */
async function keyForUpload(
  ctx: SseContext,
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

function isChecksumMode(ctx: SseContext): boolean {
  return ctx.header('x-amz-checksum-mode')?.toUpperCase() === 'ENABLED';
}

/** The parts of a completed upload as stored: an encrypted object's parts keep no checksum at all. */
function partsToStore<
  P extends { checksum?: ChecksumValue | undefined; sealedChecksum?: string | undefined },
>(upload: UploadMeta, parts: P[]): P[] {
  return readSealedMetadata(upload.internal)
    ? parts.map((p) => ({ ...p, checksum: undefined, sealedChecksum: undefined }))
    : parts;
}

/**
 * The object key CompleteMultipartUpload needs to seal the object's checksum: only for an encrypted
 * upload that carries a checksum algorithm (else undefined, no KMS call and no SSE-C key needed). An
 * SSE-C upload then needs the customer key on the request, as in MinIO (`crypto.ErrMissingCustomerKey`
 * when absent → 400 InvalidArgument) and AWS ("required only when the object was created using a
 * checksum algorithm"); a wrong key is 403 AccessDenied.
 */
async function keyForComplete(
  ctx: SseContext,
  bucket: string,
  upload: UploadMeta,
): Promise<ObjectKeyMaterial | undefined> {
  const sse = service(ctx);
  const sealed = readSealedMetadata(upload.internal);
  if (!sse || !sealed || !upload.checksumAlgorithm) return undefined;
  if (sealed.kind === 'SSE-C' && !hasSseC(getter(ctx))) {
    throw new S3Error(
      'InvalidArgument',
      'Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key.',
    );
  }
  return sse.openForRead(getter(ctx), bucket, upload.key, upload.internal, {
    isSecure: isSecure(ctx),
    upload: true,
  });
}

function isSealedEtag(etag: string): boolean {
  return !etag.includes('-') && etag.length > 32;
}

/**
 * Replaces the sealed ETags of a listing page by the ones clients see: SSE-KMS/SSE-C from the sealed
 * value alone, SSE-S3 single-part objects by unsealing their keys (one KMS call each, concurrently).
 */
export async function resolveListingEtags(ctx: SseContext, bucket: string, page: ListPage): Promise<void> {
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

/** How the parts of an upload look to clients. The caller must call `dispose` when done. */
export interface UploadPartViewer {
  /** The ETag clients see for a part's stored ETag. */
  etag(stored: string): string;
  /**
   * The part's checksum in the clear: a sealed one opened (S3Error XMinioObjectTampered if it does not
   * open), or undefined when no key is at hand (an SSE-C upload listed without its customer key).
   */
  checksum(part: UploadedPart): ChecksumValue | undefined;
  dispose(): void;
}

/**
 * The viewer of an upload's parts. SSE-S3 part ETags need the object key (one KMS Decrypt); SSE-KMS and
 * SSE-C ETags show their last 32 hex characters. Sealed part checksums (`checksums`) need the key too:
 * one KMS Decrypt for SSE-S3/SSE-KMS; for SSE-C only when the request carries the customer key (then a
 * wrong one is 403 AccessDenied), and without it they are left out — MinIO shows them, from its records
 * in the clear. `km`, when given, is the upload's key already opened (and stays the caller's to dispose).
 */
export async function uploadPartViewer(
  ctx: SseContext,
  bucket: string,
  upload: UploadMeta,
  opts: { checksums?: boolean; km?: ObjectKeyMaterial | undefined } = {},
): Promise<UploadPartViewer> {
  const sealed = readSealedMetadata(upload.internal);
  if (!sealed) return { etag: (e) => e, checksum: (p) => p.checksum, dispose: () => {} };
  let own: ObjectKeyMaterial | undefined;
  if (!opts.km) {
    const sse = service(ctx)!;
    const withKey = { isSecure: isSecure(ctx), upload: true };
    if (sealed.kind === 'SSE-S3' || (sealed.kind === 'SSE-KMS' && opts.checksums)) {
      own = await sse.openForRead(() => undefined, bucket, upload.key, upload.internal, withKey);
    } else if (sealed.kind === 'SSE-C' && opts.checksums && hasSseC(getter(ctx))) {
      own = await sse.openForRead(getter(ctx), bucket, upload.key, upload.internal, withKey);
    }
  }
  const km = opts.km ?? own;
  return {
    etag: (e) => visibleEtag(e, sealed.kind, km?.oek),
    checksum: (p) => {
      if (p.sealedChecksum === undefined) return p.checksum;
      return km ? openPartChecksum(km.oek, p.number, p.sealedChecksum) : undefined;
    },
    dispose: () => own?.dispose(),
  };
}

/** The SSE response headers of an upload (CompleteMultipartUpload); none for SSE-C or plaintext. */
function uploadSseHeaders(upload: UploadMeta): Record<string, string> {
  const sealed = readSealedMetadata(upload.internal);
  return sealed && sealed.kind !== 'SSE-C' ? sseResponseHeaders(sealed) : {};
}

/**
 * SSE-C key rotation (docs/minio-sse.md#sse-c): a same-object CopyObject with the old key as copy source and a new SSE-C
 * key re-seals the object key under the new key with the same IV; the data is not rewritten.
 * `source` is the read of the object with the old key. Returns the updated metadata and the ETag shown.
 */
export async function rotateSseCKey(
  ctx: SseContext,
  bucket: string,
  meta: ObjectMeta,
  source: ReadPlan,
): Promise<{ meta: ObjectMeta; etag: string; headers: Record<string, string> }> {
  const sealed = readSealedMetadata(meta.internal);
  const srcKm = keyOfReadPlan(source);
  const next = parseSseC(getter(ctx));
  if (sealed?.kind !== 'SSE-C' || !srcKm || !next) throw new Error('not an SSE-C rotation');
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
    return {
      meta: updated,
      etag: visibleEtag(updated.etag, 'SSE-C'),
      headers: sseResponseHeaders(record, next.keyMd5),
    };
  } finally {
    zeroize(next.key);
  }
}

/** True when a CopyObject is an SSE-C key rotation of `meta` (same object, SSE-C in and out). */
export function isSseCRotation(ctx: SseContext, sameObject: boolean, meta: ObjectMeta): boolean {
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
export function rotationKeyError(ctx: SseContext, err: unknown): unknown {
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

/** The plan of a new object's write (PutObject, CopyObject destination, CreateMultipartUpload). */
export async function planObjectWrite(
  ctx: SseContext,
  bucket: string,
  key: string,
  multipart = false,
): Promise<ObjectWritePlan> {
  const km = await keyForWrite(ctx, bucket, key, multipart);
  return km ? objectWritePlan(km) : PLAINTEXT_OBJECT_WRITE;
}

/** The plan of part `number` of an upload (UploadPart, UploadPartCopy): the upload's key, its part key. */
export async function planPartWrite(
  ctx: SseContext,
  bucket: string,
  upload: UploadMeta,
  number: number,
): Promise<PartWritePlan> {
  const km = await keyForUpload(ctx, bucket, upload);
  return km ? partWritePlan(km, upload.uploadId, number) : PLAINTEXT_PART_WRITE;
}

/**
 * The plan of a read (GET, HEAD, copy source with `copy`): the request's SSE headers checked against
 * the object and its key unsealed when one is needed (see keyForRead).
 */
export async function planRead(
  ctx: SseContext,
  bucket: string,
  meta: ObjectMeta,
  opts: { copy?: boolean; isHead?: boolean } = {},
): Promise<ReadPlan> {
  const km = await keyForRead(ctx, bucket, meta, opts);
  return km ? readPlan(km) : PLAINTEXT_READ;
}

/** The steps of CompleteMultipartUpload that depend on the upload's encryption. Call `dispose` when done. */
export interface CompletePlan {
  /** The ETag clients were shown for a part (and list in the request). */
  etag(part: UploadedPart): string;
  /** A part's checksum in the clear (undefined when sealed and no key is at hand). */
  checksum(part: UploadedPart): ChecksumValue | undefined;
  /** The seal step of the object's record: its internal metadata and its plain checksum slot. */
  seal(
    internal: Record<string, string>,
    checksum: ChecksumValue | undefined,
  ): { internal: Record<string, string>; checksum: ChecksumValue | undefined };
  /** The parts as the object stores them: an encrypted object's parts keep no checksum at all. */
  parts<P extends { checksum?: ChecksumValue | undefined; sealedChecksum?: string | undefined }>(
    parts: P[],
  ): P[];
  /** x-amz-server-side-encryption* reply headers; none for SSE-C or plaintext. */
  readonly headers: Record<string, string>;
  dispose(): void;
}

/**
 * The plan of CompleteMultipartUpload: the upload's key when the object's checksum must be sealed (see
 * keyForComplete), and the view of its parts' sealed ETags and checksums.
 */
export async function planComplete(
  ctx: SseContext,
  bucket: string,
  upload: UploadMeta,
): Promise<CompletePlan> {
  const km = await keyForComplete(ctx, bucket, upload);
  let viewer: UploadPartViewer;
  try {
    viewer = await uploadPartViewer(ctx, bucket, upload, { km });
  } catch (err) {
    km?.dispose();
    throw err;
  }
  const object = km ? objectWritePlan(km) : PLAINTEXT_OBJECT_WRITE;
  return {
    etag: (part) => viewer.etag(part.etag),
    checksum: (part) => viewer.checksum(part),
    seal: (internal, checksum) => object.seal(internal, checksum),
    parts: (parts) => partsToStore(upload, parts),
    headers: uploadSseHeaders(upload),
    dispose: () => {
      viewer.dispose();
      object.dispose();
    },
  };
}

/** True when a request names any encryption (SSE headers, or SSE-C copy-source headers). */
export function namesEncryption(ctx: SseContext): boolean {
  const get = getter(ctx);
  return hasAnySseHeader(get) || hasSseC(get, true);
}
