// Object operations: PutObject, GetObject, HeadObject (whole, Range or partNumber), DeleteObject,
// CopyObject, DeleteObjects.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { S3Error } from '../errors.js';
import {
  checksumOf,
  checksumToStore,
  clientView,
  isSseCRotation,
  keyForRead,
  keyForWrite,
  rotateSseCKey,
  rotationKeyError,
  storedSizeOf,
} from '../sse/hooks.js';
import { hasAnySseHeader, hasSseC } from '../sse/request.js';
import {
  encryptChunks,
  type ObjectKeyMaterial,
  releaseEncrypted,
  storedEtag,
  visibleEtag,
} from '../sse/service.js';
import { type FsStore, INLINE_MAX, type PartSource } from '../storage/fs-store.js';
import { checkObjectKey } from '../storage/keys.js';
import type { ObjectReader } from '../storage/open-object.js';
import type { ObjectMeta, ObjectProperties } from '../storage/types.js';
import { checksumHeader } from './checksum.js';
import type { S3Context } from './context.js';
import { storageToS3Error } from './errors.js';
import {
  checkConditions,
  checkCopyConditions,
  objectResponseHeaders,
  propertiesFromHeaders,
  quoteEtag,
  RESPONSE_OVERRIDES,
  resolvePartRange,
  resolveRange,
} from './http-rules.js';
import { readContent } from './object-reader.js';
import type { ChecksumValue } from './payload.js';
import { safeDecode } from './sigv4.js';
import { copyTags } from './tagging.js';
import { childList, childText, parseRequestXml, xmlElement, xmlRoot } from './xml.js';

/** S3's limit for a single PUT and for a copy source: 5 GiB. */
export const MAX_SINGLE_PUT = 5 * 1024 * 1024 * 1024;
const MAX_DELETE_BODY = 2 * 1024 * 1024;

/** A body received for commit: inline bytes for small objects, else a staged file. */
export interface ReceivedBody {
  source: PartSource;
  size: number;
  /** Removes the staged file if it was not committed. */
  discard(): Promise<void>;
}

/**
 * Receives a body of `expectedSize` bytes (undefined when unknown): bodies that are known to be small are
 * kept in memory for inline storage (bounded by INLINE_MAX), all others stream to the staging area.
 */
export async function receiveBody(
  store: FsStore,
  chunks: AsyncIterable<Buffer>,
  expectedSize: number | undefined,
): Promise<ReceivedBody> {
  if (expectedSize !== undefined && expectedSize <= INLINE_MAX) {
    const parts: Buffer[] = [];
    let size = 0;
    for await (const chunk of chunks) {
      size += chunk.length;
      if (size > INLINE_MAX) throw new S3Error('IncompleteBody');
      parts.push(chunk);
    }
    const data = Buffer.concat(parts, size);
    for (const part of parts) releaseEncrypted(part);
    return { source: { data }, size, discard: async () => {} };
  }
  const staged = await store.stage(chunks, releaseEncrypted);
  return {
    source: { source: staged.path, move: true },
    size: staged.size,
    discard: () => store.discard(staged),
  };
}

/** putObject: streams the body to staging (or memory when small), verifies it, then commits. */
export async function putObject(ctx: S3Context): Promise<void> {
  const bucket = ctx.bucketName;
  const key = ctx.objectKey;
  checkObjectKey(key);
  const props = propertiesFromHeaders(ctx.objectHeaders());
  await ctx.store.assertBucket(bucket);
  const km = await keyForWrite(ctx, bucket, key);
  if (km) props.internal = { ...props.internal, ...km.internal };
  const payload = ctx.payload(MAX_SINGLE_PUT);
  const body = await receiveBody(
    ctx.store,
    km ? encryptChunks(payload.chunks(), km.oek) : payload.chunks(),
    storedSizeOf(payload.declaredLength, km),
  ).catch((err) => {
    km?.dispose();
    throw err;
  });
  try {
    const result = payload.finish();
    const etag = etagToStore(result.md5, km, ctx.header('content-md5') !== undefined);
    const checksum = checksumToStore(props, km, result.checksum);
    await ctx.store.commitObject(
      bucket,
      key,
      props,
      [
        {
          number: 1,
          size: result.size,
          storedSize: body.size,
          etag,
          checksum,
          ...body.source,
        },
      ],
      etag,
      checksum,
    );
    sendWriteResult(ctx, etag, km, result.checksum, result.md5);
  } finally {
    km?.dispose();
    await body.discard();
  }
}

/** getObject / headObject: conditionals, a single range, response overrides, streamed body. */
export async function getObject(ctx: S3Context, isHead: boolean): Promise<void> {
  const bucket = ctx.bucketName;
  const key = ctx.objectKey;
  // A GET holds the version's data files open from the moment it reads the metadata (see openObject).
  const object = isHead ? undefined : await ctx.store.openObject(bucket, key);
  try {
    const stored = object?.meta ?? (await ctx.store.getMeta(bucket, key));
    const km = await keyForRead(ctx, bucket, stored, { isHead });
    try {
      await sendObject(ctx, stored, km, isHead, object);
    } finally {
      km?.dispose();
    }
  } finally {
    object?.close();
  }
}

async function sendObject(
  ctx: S3Context,
  stored: ObjectMeta,
  km: Awaited<ReturnType<typeof keyForRead>>,
  isHead: boolean,
  object: ObjectReader | undefined,
): Promise<void> {
  const meta = clientView(stored, km);
  const partNumber = ctx.query.get('partNumber');
  if (partNumber !== undefined && ctx.header('range') !== undefined) {
    throw new S3Error('InvalidRequest', 'Cannot specify both Range header and partNumber query parameter');
  }
  const partRange =
    partNumber === undefined
      ? undefined
      : resolvePartRange(
          partNumber,
          stored.parts.map((p) => p.size),
        );
  checkConditions((n) => ctx.header(n), meta);
  // An empty part has no byte range to name; it is answered as the empty whole.
  const range =
    partRange === undefined
      ? resolveRange(ctx.header('range'), meta.size)
      : partRange.end >= partRange.start
        ? partRange
        : undefined;
  const checksumMode = ctx.header('x-amz-checksum-mode')?.toUpperCase() === 'ENABLED';
  const headers = { ...objectResponseHeaders(meta, checksumMode && range === undefined), ...km?.headers };
  for (const [param, header] of Object.entries(RESPONSE_OVERRIDES)) {
    const v = ctx.query.get(param);
    if (v !== undefined) headers[header] = v;
  }
  let status = 200;
  let start = 0;
  let end = meta.size - 1;
  if (range) {
    status = 206;
    ({ start, end } = range);
    headers['content-range'] = `bytes ${start}-${end}/${meta.size}`;
  }
  headers['content-length'] = String(end - start + 1);
  if (isHead || meta.size === 0) {
    ctx.reply.hijack();
    ctx.reply.raw.writeHead(status, headers);
    ctx.reply.raw.end();
    return;
  }
  const inline = km === undefined ? inlineContent(stored, start, end) : undefined;
  if (inline !== undefined) {
    // A small object's bytes are in its metadata: one write carries headers and body, no stream.
    ctx.reply.hijack();
    ctx.reply.raw.writeHead(status, headers);
    ctx.reply.raw.end(inline);
    return;
  }
  const body = await readContent(object!, start, end, km?.oek);
  sendStream(ctx, status, headers, body);
}

/** Content bytes start..end of a plaintext object stored inline in its metadata; undefined otherwise. */
function inlineContent(meta: ObjectMeta, start: number, end: number): Buffer | undefined {
  const part = meta.parts.length === 1 ? meta.parts[0] : undefined;
  if (part?.inline === undefined) return undefined;
  return Buffer.from(part.inline, 'base64').subarray(start, end + 1);
}

function sendStream(ctx: S3Context, status: number, headers: Record<string, string>, body: Readable): void {
  ctx.reply.hijack();
  const res = ctx.reply.raw;
  res.writeHead(status, headers);
  body.on('error', (err) => {
    ctx.req.log.error({ err }, 'object read failed mid-response');
    res.destroy(err);
  });
  res.on('close', () => body.destroy());
  body.pipe(res);
}

/** deleteObject: 204 whether or not the key existed. */
export async function deleteObject(ctx: S3Context): Promise<void> {
  await ctx.store.deleteObject(ctx.bucketName, ctx.objectKey);
  ctx.sendEmpty(204);
}

/** The decoded bucket and key of x-amz-copy-source ("/bucket/key" or "bucket/key", URL-encoded). */
export function parseCopySource(value: string): { bucket: string; key: string } {
  let raw = value;
  const q = raw.indexOf('?');
  if (q >= 0) {
    const version = new URLSearchParams(raw.slice(q + 1)).get('versionId');
    if (version !== null && version !== 'null') {
      throw new S3Error('InvalidArgument', 'This server does not keep object versions.');
    }
    raw = raw.slice(0, q);
  }
  const decoded = safeDecode(raw).replace(/^\/+/, '');
  const slash = decoded.indexOf('/');
  if (slash <= 0 || slash === decoded.length - 1) {
    throw new S3Error(
      'InvalidArgument',
      'Copy Source must mention the source bucket and key: sourcebucket/sourcekey.',
    );
  }
  return { bucket: decoded.slice(0, slash), key: decoded.slice(slash + 1) };
}

/** Hashes chunks with MD5 while passing them on. */
export function md5Tap(source: AsyncIterable<Buffer>): {
  chunks: AsyncIterable<Buffer>;
  digest: () => string;
} {
  const hash = createHash('md5');
  let hex: string | undefined;
  async function* chunks(): AsyncGenerator<Buffer> {
    for await (const chunk of source) {
      hash.update(chunk);
      yield chunk;
    }
  }
  return {
    chunks: chunks(),
    digest: () => {
      hex ??= hash.digest('hex');
      return hex;
    },
  };
}

/** Loads the copy source and applies x-amz-copy-source-if-* conditions. */
export async function loadCopySource(
  ctx: S3Context,
): Promise<{ bucket: string; key: string; meta: ObjectMeta; object: ObjectReader }> {
  const source = parseCopySource(ctx.header('x-amz-copy-source')!);
  checkObjectKey(source.key);
  let object: ObjectReader;
  try {
    object = await ctx.store.openObject(source.bucket, source.key);
  } catch (caught) {
    const err = storageToS3Error(caught);
    if (err instanceof S3Error) err.context = { bucket: source.bucket, key: source.key };
    throw err;
  }
  // The source's files stay open until the response is over, whichever way the handler ends.
  ctx.reply.raw.once('close', () => object.close());
  checkCopyConditions((n) => ctx.header(n), object.meta);
  return { ...source, meta: object.meta, object };
}

/** copyObject: COPY or REPLACE metadata, conditional copy headers, data streamed through staging. */
export async function copyObject(ctx: S3Context): Promise<void> {
  const bucket = ctx.bucketName;
  const key = ctx.objectKey;
  checkObjectKey(key);
  await ctx.store.assertBucket(bucket);
  const directive = (ctx.header('x-amz-metadata-directive') ?? 'COPY').toUpperCase();
  if (directive !== 'COPY' && directive !== 'REPLACE') {
    throw new S3Error('InvalidArgument', 'Unknown metadata directive.');
  }
  const source = await loadCopySource(ctx);
  const src = source.meta;
  if (src.size > MAX_SINGLE_PUT) {
    throw new S3Error(
      'InvalidRequest',
      `The specified copy source is larger than the maximum allowable size for a copy source: ${MAX_SINGLE_PUT}`,
    );
  }
  const requestedClass = ctx.header('x-amz-storage-class');
  let props: ObjectProperties;
  if (directive === 'REPLACE') {
    props = propertiesFromHeaders(ctx.req.headers);
  } else {
    props = {
      contentType: src.contentType,
      headers: { ...src.headers },
      userMetadata: { ...src.userMetadata },
      storageClass: requestedClass ?? src.storageClass,
      internal: {},
    };
    if (requestedClass !== undefined) propertiesFromHeaders({ 'x-amz-storage-class': requestedClass });
  }
  props.tags = copyTags(ctx, src.tags);
  const sameObject = source.bucket === bucket && source.key === key;
  const get = (n: string) => ctx.header(n);
  if (
    sameObject &&
    directive === 'COPY' &&
    !hasAnySseHeader(get) &&
    !hasSseC(get, true) &&
    (requestedClass === undefined || requestedClass === src.storageClass)
  ) {
    throw new S3Error(
      'InvalidRequest',
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    );
  }
  // Copies decrypt the source and re-encrypt with a new object key: keys are bound to bucket/object.
  const rotation =
    isSseCRotation(ctx, sameObject, src) && (requestedClass ?? src.storageClass) === src.storageClass;
  const srcKm = await keyForRead(ctx, source.bucket, src, { copy: true }).catch((err) => {
    throw rotation ? rotationKeyError(ctx, err) : err;
  });
  if (rotation && srcKm) {
    try {
      const rotated = await rotateSseCKey(ctx, bucket, src, srcKm);
      ctx.sendXml(
        xmlRoot('CopyObjectResult', [
          xmlElement('LastModified', rotated.meta.lastModified),
          xmlElement('ETag', quoteEtag(visibleEtag(rotated.meta.etag, 'SSE-C'))),
        ]),
        200,
        rotated.headers,
      );
      return;
    } finally {
      srcKm.dispose();
    }
  }
  const destKm = await keyForWrite(ctx, bucket, key).catch((err) => {
    srcKm?.dispose();
    throw err;
  });
  try {
    if (destKm) props.internal = { ...props.internal, ...destKm.internal };
    const tap = md5Tap(await readCopySource(source, 0, src.size - 1, srcKm?.oek));
    const received = await receiveBody(
      ctx.store,
      destKm ? encryptChunks(tap.chunks, destKm.oek) : tap.chunks,
      storedSizeOf(src.size, destKm),
    );
    try {
      if (received.size !== storedSizeOf(src.size, destKm))
        throw new S3Error('InternalError', 'The copy source changed size while copying.');
      const etag = etagToStore(Buffer.from(tap.digest(), 'hex'), destKm);
      const checksum = checksumToStore(
        props,
        destKm,
        src.parts.length === 1 ? checksumOf(src, srcKm) : undefined,
      );
      const meta = await ctx.store.commitObject(
        bucket,
        key,
        props,
        [{ number: 1, size: src.size, storedSize: received.size, etag, checksum, ...received.source }],
        etag,
        checksum,
      );
      sendCopyResult(ctx, 'CopyObjectResult', meta.lastModified, etag, destKm);
    } finally {
      await received.discard();
    }
  } finally {
    srcKm?.dispose();
    destKm?.dispose();
  }
}

async function* emptyChunks(): AsyncGenerator<Buffer> {}

/** The copy source's plaintext bytes start..end (inclusive), decrypted with `oek`; none when end < start. */
export async function readCopySource(
  source: { object: ObjectReader },
  start: number,
  end: number,
  oek: Buffer | undefined,
): Promise<AsyncIterable<Buffer>> {
  if (end < start) return emptyChunks();
  return (await readContent(source.object, start, end, oek)) as AsyncIterable<Buffer>;
}

/**
 * The ETag to store for written plaintext whose MD5 is `md5`: sealed when `km` encrypts it (random
 * for SSE-KMS/SSE-C unless the client sent Content-MD5, see storedEtag).
 */
export function etagToStore(md5: Buffer, km: ObjectKeyMaterial | undefined, clientSentMd5 = false): string {
  return km ? storedEtag(km.kind, km.oek, md5, clientSentMd5) : md5.toString('hex');
}

/** The quoted ETag a client sees for a stored one. */
function clientEtag(etag: string, km: ObjectKeyMaterial | undefined): string {
  return quoteEtag(km ? visibleEtag(etag, km.kind, km.oek) : etag);
}

/**
 * The reply to PutObject / UploadPart: the ETag, the SSE headers and the checksum the client sent.
 * `md5` is the content MD5 just computed: an SSE-S3 ETag is that MD5 sealed, so it is shown as is
 * rather than unsealed again.
 */
export function sendWriteResult(
  ctx: S3Context,
  etag: string,
  km: ObjectKeyMaterial | undefined,
  checksum: ChecksumValue | undefined,
  md5: Buffer,
): void {
  const shown = km?.kind === 'SSE-S3' ? quoteEtag(md5.toString('hex')) : clientEtag(etag, km);
  const headers: Record<string, string> = { etag: shown, ...km?.headers };
  if (checksum) headers[checksumHeader(checksum.algorithm)] = checksum.value;
  ctx.sendEmpty(200, headers);
}

/** CopyObjectResult / CopyPartResult with the ETag the client sees and the SSE response headers. */
export function sendCopyResult(
  ctx: S3Context,
  root: 'CopyObjectResult' | 'CopyPartResult',
  lastModified: string,
  etag: string,
  km: ObjectKeyMaterial | undefined,
): void {
  ctx.sendXml(
    xmlRoot(root, [xmlElement('LastModified', lastModified), xmlElement('ETag', clientEtag(etag, km))]),
    200,
    km?.headers ?? {},
  );
}

/** deleteObjects: POST ?delete with up to 1000 keys; per-key errors, Quiet mode. */
export async function deleteObjects(ctx: S3Context): Promise<void> {
  const bucket = ctx.bucketName;
  await ctx.store.assertBucket(bucket);
  const root = parseRequestXml(await ctx.readBody(MAX_DELETE_BODY), 'Delete');
  const quiet = childText(root, 'Quiet')?.trim().toLowerCase() === 'true';
  const objects = childList(root, 'Object');
  if (objects.length === 0 || objects.length > 1000) throw new S3Error('MalformedXML');
  const keys = objects.map((o) => {
    const key = childText(o, 'Key');
    if (key === undefined) throw new S3Error('MalformedXML');
    return key;
  });
  const results: string[] = [];
  for (const key of keys) {
    try {
      checkObjectKey(key);
      await ctx.store.deleteObject(bucket, key);
      if (!quiet) results.push(xmlElement('Deleted', [xmlElement('Key', key)]));
    } catch (caught) {
      const err = storageToS3Error(caught);
      if (!(err instanceof S3Error)) throw err;
      results.push(
        xmlElement('Error', [
          xmlElement('Key', key),
          xmlElement('Code', err.code),
          xmlElement('Message', err.message),
        ]),
      );
    }
  }
  ctx.sendXml(xmlRoot('DeleteResult', results));
}
