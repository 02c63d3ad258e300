// Object operations: PutObject, GetObject, HeadObject (whole, Range or partNumber), DeleteObject,
// CopyObject, DeleteObjects.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { S3Error } from '../errors.js';
import { isHeaderValue } from '../http/header-value.js';
import {
  isSseCRotation,
  namesEncryption,
  planObjectWrite,
  planRead,
  rotateSseCKey,
  rotationKeyError,
} from '../sse/hooks.js';
import type { ReadPlan, WritePlan } from '../sse/plans.js';
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
import type { ChecksumValue } from './payload.js';
import { safeDecode } from './sigv4.js';
import { copyTags } from './tagging.js';
import { resolveVersionId } from './versions.js';
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
 * `release` gets each chunk back once it is written (or copied).
 */
export async function receiveBody(
  store: FsStore,
  chunks: AsyncIterable<Buffer>,
  expectedSize: number | undefined,
  release: (chunk: Buffer) => void,
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
    for (const part of parts) release(part);
    return { source: { data }, size, discard: async () => {} };
  }
  const staged = await store.stage(chunks, release);
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
  const sse = await planObjectWrite(ctx, bucket, key);
  const payload = ctx.payload(MAX_SINGLE_PUT);
  const body = await receiveBody(
    ctx.store,
    sse.encrypt(payload.chunks()),
    sse.storedSize(payload.declaredLength),
    sse.release,
  ).catch((err) => {
    sse.dispose();
    throw err;
  });
  try {
    const result = payload.finish();
    const etag = sse.etag(result.md5, ctx.header('content-md5') !== undefined);
    const { internal, checksum } = sse.seal(props.internal, result.checksum);
    await ctx.store.commitObject(
      bucket,
      key,
      { ...props, internal },
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
    sendWriteResult(ctx, sse, etag, result.checksum, result.md5);
  } finally {
    sse.dispose();
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
    const sse = await planRead(ctx, bucket, stored, { isHead });
    try {
      await sendObject(ctx, stored, sse, isHead, object);
    } finally {
      sse.dispose();
    }
  } finally {
    object?.close();
  }
}

async function sendObject(
  ctx: S3Context,
  stored: ObjectMeta,
  sse: ReadPlan,
  isHead: boolean,
  object: ObjectReader | undefined,
): Promise<void> {
  const meta = sse.view(stored);
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
  const headers = { ...objectResponseHeaders(meta, checksumMode && range === undefined), ...sse.headers };
  for (const [param, header] of Object.entries(RESPONSE_OVERRIDES)) {
    const v = ctx.query.get(param);
    if (v !== undefined && !isHeaderValue(v)) throw new S3Error('InvalidArgument', `Invalid ${param} value.`);
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
  const inline = sse.inline(stored, start, end);
  if (inline !== undefined) {
    // A small object's bytes are in its metadata: one write carries headers and body, no stream.
    ctx.reply.hijack();
    ctx.reply.raw.writeHead(status, headers);
    ctx.reply.raw.end(inline);
    return;
  }
  // A GET holds the version open (getObject), so the content read is from the metadata just checked.
  const body = await sse.read(object!, start, end);
  sendStream(ctx, status, headers, body);
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
  if (
    sameObject &&
    directive === 'COPY' &&
    !namesEncryption(ctx) &&
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
  const srcSse = await planRead(ctx, source.bucket, src, { copy: true }).catch((err) => {
    throw rotation ? rotationKeyError(ctx, err) : err;
  });
  if (rotation) {
    try {
      const rotated = await rotateSseCKey(ctx, bucket, src, srcSse);
      ctx.sendXml(
        xmlRoot('CopyObjectResult', [
          xmlElement('LastModified', rotated.meta.lastModified),
          xmlElement('ETag', quoteEtag(rotated.etag)),
        ]),
        200,
        rotated.headers,
      );
      return;
    } finally {
      srcSse.dispose();
    }
  }
  const sse = await planObjectWrite(ctx, bucket, key).catch((err) => {
    srcSse.dispose();
    throw err;
  });
  try {
    const tap = md5Tap(await readCopySource(source, 0, src.size - 1, srcSse));
    const received = await receiveBody(
      ctx.store,
      sse.encrypt(tap.chunks),
      sse.storedSize(src.size),
      sse.release,
    );
    try {
      if (received.size !== sse.storedSize(src.size))
        throw new S3Error('InternalError', 'The copy source changed size while copying.');
      const md5 = Buffer.from(tap.digest(), 'hex');
      const etag = sse.etag(md5);
      const { internal, checksum } = sse.seal(
        props.internal,
        src.parts.length === 1 ? srcSse.checksum(src) : undefined,
      );
      const meta = await ctx.store.commitObject(
        bucket,
        key,
        { ...props, internal },
        [{ number: 1, size: src.size, storedSize: received.size, etag, checksum, ...received.source }],
        etag,
        checksum,
      );
      sendCopyResult(ctx, 'CopyObjectResult', meta.lastModified, sse, etag, md5);
    } finally {
      await received.discard();
    }
  } finally {
    srcSse.dispose();
    sse.dispose();
  }
}

async function* emptyChunks(): AsyncGenerator<Buffer> {}

/** The copy source's plaintext bytes start..end (inclusive), read through `sse`; none when end < start. */
export async function readCopySource(
  source: { object: ObjectReader },
  start: number,
  end: number,
  sse: ReadPlan,
): Promise<AsyncIterable<Buffer>> {
  if (end < start) return emptyChunks();
  return (await sse.read(source.object, start, end)) as AsyncIterable<Buffer>;
}

/**
 * The reply to PutObject / UploadPart: the ETag shown for the stored `etag` of content whose MD5 is
 * `md5`, the SSE headers and the checksum the client sent.
 */
export function sendWriteResult(
  ctx: S3Context,
  sse: WritePlan,
  etag: string,
  checksum: ChecksumValue | undefined,
  md5: Buffer,
): void {
  const headers: Record<string, string> = { etag: quoteEtag(sse.shownEtag(etag, md5)), ...sse.headers };
  if (checksum) headers[checksumHeader(checksum.algorithm)] = checksum.value;
  ctx.sendEmpty(200, headers);
}

/** CopyObjectResult / CopyPartResult with the ETag the client sees and the SSE response headers. */
export function sendCopyResult(
  ctx: S3Context,
  root: 'CopyObjectResult' | 'CopyPartResult',
  lastModified: string,
  sse: WritePlan,
  etag: string,
  md5: Buffer,
): void {
  ctx.sendXml(
    xmlRoot(root, [
      xmlElement('LastModified', lastModified),
      xmlElement('ETag', quoteEtag(sse.shownEtag(etag, md5))),
    ]),
    200,
    { ...sse.headers },
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
  const entries = objects.map((o) => {
    const key = childText(o, 'Key');
    if (key === undefined) throw new S3Error('MalformedXML');
    return { key, versionId: childText(o, 'VersionId') };
  });
  const results: string[] = [];
  for (const { key, versionId } of entries) {
    try {
      checkObjectKey(key);
      // An anonymous request may delete the keys the bucket policy lets it, each on its own.
      if (!(await ctx.access.allows('s3:DeleteObject', bucket, key))) throw new S3Error('AccessDenied');
      // A version other than null cannot exist here: deleting it does nothing (docs/s3.md#versions).
      if (resolveVersionId(versionId) === 'none') {
        if (!quiet)
          results.push(xmlElement('Deleted', [xmlElement('Key', key), xmlElement('VersionId', versionId!)]));
        continue;
      }
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
