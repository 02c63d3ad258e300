// Multipart uploads: CreateMultipartUpload, UploadPart, UploadPartCopy, ListParts, ListMultipartUploads,
// CompleteMultipartUpload, AbortMultipartUpload.
import { createHash } from 'node:crypto';
import { S3Error } from '../errors.js';
import { planComplete, planObjectWrite, planPartWrite, planRead, uploadPartViewer } from '../sse/hooks.js';
import { checkObjectKey, compareKeys } from '../storage/keys.js';
import type { UploadedPart } from '../storage/types.js';
import { type ChecksumAlgorithm, createChecksummer, parseChecksumAlgorithm } from './checksum.js';
import { OWNER_ID, OWNER_NAME, type S3Context } from './context.js';
import {
  MAX_PART_NUMBER,
  parsePartNumber,
  propertiesFromHeaders,
  quoteEtag,
  resolveCopyRange,
} from './http-rules.js';
import {
  loadCopySource,
  MAX_SINGLE_PUT,
  md5Tap,
  readCopySource,
  sendCopyResult,
  sendWriteResult,
} from './object-handlers.js';
import type { ChecksumValue } from './payload.js';
import { childList, childText, parseRequestXml, xmlElement, xmlRoot } from './xml.js';

/** Every part but the last must be at least 5 MiB. */
export const MIN_PART_SIZE = 5 * 1024 * 1024;
const MAX_COMPLETE_BODY = 4 * 1024 * 1024;

function owner(name: 'Owner' | 'Initiator'): string {
  return xmlElement(name, [xmlElement('ID', OWNER_ID), xmlElement('DisplayName', OWNER_NAME)]);
}

function partNumber(ctx: S3Context): number {
  return parsePartNumber(ctx.query.get('partNumber'));
}

/** createMultipartUpload: POST ?uploads */
export async function createMultipartUpload(ctx: S3Context): Promise<void> {
  const bucket = ctx.bucketName;
  const key = ctx.objectKey;
  checkObjectKey(key);
  const props = propertiesFromHeaders(ctx.objectHeaders());
  const algorithmHeader = ctx.header('x-amz-checksum-algorithm');
  const algorithm = algorithmHeader !== undefined ? parseChecksumAlgorithm(algorithmHeader) : undefined;
  await ctx.store.assertBucket(bucket);
  // The object key is made and sealed once per upload; parts derive their keys from it.
  const sse = await planObjectWrite(ctx, bucket, key, true);
  sse.dispose();
  const { internal } = sse.seal(props.internal, undefined);
  const upload = await ctx.store.createUpload(bucket, key, { ...props, internal }, algorithm);
  const headers: Record<string, string> = { ...sse.headers };
  if (algorithm) headers['x-amz-checksum-algorithm'] = algorithm;
  ctx.sendXml(
    xmlRoot('InitiateMultipartUploadResult', [
      xmlElement('Bucket', bucket),
      xmlElement('Key', key),
      xmlElement('UploadId', upload.uploadId),
    ]),
    200,
    headers,
  );
}

/** uploadPart: PUT ?partNumber&uploadId — streams to staging, verifies, commits the part. */
export async function uploadPart(ctx: S3Context): Promise<void> {
  const bucket = ctx.bucketName;
  const key = ctx.objectKey;
  const number = partNumber(ctx);
  const upload = await ctx.store.getUpload(bucket, key, ctx.query.get('uploadId')!);
  const sse = await planPartWrite(ctx, bucket, upload, number);
  const payload = ctx.payload(MAX_SINGLE_PUT);
  const staged = await ctx.store.stage(sse.encrypt(payload.chunks()), sse.release).catch((err) => {
    sse.dispose();
    throw err;
  });
  try {
    const result = payload.finish();
    const etag = sse.etag(result.md5, ctx.header('content-md5') !== undefined);
    await ctx.store.commitPart(bucket, upload, staged, {
      number,
      size: result.size,
      storedSize: staged.size,
      etag,
      ...sse.seal(result.checksum),
    });
    sendWriteResult(ctx, sse, etag, result.checksum, result.md5);
  } finally {
    sse.dispose();
    await ctx.store.discard(staged);
  }
}

/** uploadPartCopy: PUT ?partNumber&uploadId with x-amz-copy-source[-range]. */
export async function uploadPartCopy(ctx: S3Context): Promise<void> {
  const bucket = ctx.bucketName;
  const key = ctx.objectKey;
  const number = partNumber(ctx);
  const upload = await ctx.store.getUpload(bucket, key, ctx.query.get('uploadId')!);
  const source = await loadCopySource(ctx);
  const range = resolveCopyRange(ctx.header('x-amz-copy-source-range'), source.meta.size) ?? {
    start: 0,
    end: source.meta.size - 1,
  };
  const length = range.end - range.start + 1;
  if (length > MAX_SINGLE_PUT) throw new S3Error('EntityTooLarge');
  const srcSse = await planRead(ctx, source.bucket, source.meta, { copy: true });
  const sse = await planPartWrite(ctx, bucket, upload, number).catch((err) => {
    srcSse.dispose();
    throw err;
  });
  try {
    const tap = md5Tap(await readCopySource(source, range.start, range.end, srcSse));
    const staged = await ctx.store.stage(sse.encrypt(tap.chunks), sse.release);
    try {
      if (staged.size !== sse.storedSize(length))
        throw new S3Error('InternalError', 'The copy source changed size while copying.');
      const md5 = Buffer.from(tap.digest(), 'hex');
      const etag = sse.etag(md5);
      const part = await ctx.store.commitPart(bucket, upload, staged, {
        number,
        size: length,
        storedSize: staged.size,
        etag,
      });
      sendCopyResult(ctx, 'CopyPartResult', part.lastModified, sse, etag, md5);
    } finally {
      await ctx.store.discard(staged);
    }
  } finally {
    srcSse.dispose();
    sse.dispose();
  }
}

function intParam(ctx: S3Context, name: string, fallback: number, max: number): number {
  const raw = ctx.query.get(name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new S3Error('InvalidArgument', `Argument ${name} must be an integer.`);
  return Math.min(Number(raw), max);
}

function checksumElement(checksum: ChecksumValue | undefined): string {
  if (!checksum) return '';
  const name = `Checksum${checksum.algorithm}`;
  return xmlElement(name, checksum.value);
}

/** listParts: GET ?uploadId with part-number-marker and max-parts. */
export async function listParts(ctx: S3Context): Promise<void> {
  const bucket = ctx.bucketName;
  const key = ctx.objectKey;
  const upload = await ctx.store.getUpload(bucket, key, ctx.query.get('uploadId')!);
  const marker = intParam(ctx, 'part-number-marker', 0, MAX_PART_NUMBER);
  const maxParts = intParam(ctx, 'max-parts', 1000, 1000);
  const listed = (await ctx.store.listParts(bucket, upload)).filter((p) => p.number > marker);
  const viewer = await uploadPartViewer(ctx, bucket, upload, {
    checksums: listed.some((p) => p.sealedChecksum !== undefined),
  });
  let all: UploadedPart[];
  try {
    all = listed.map((p) => ({ ...p, etag: viewer.etag(p.etag), checksum: viewer.checksum(p) }));
  } finally {
    viewer.dispose();
  }
  const page = all.slice(0, maxParts);
  const truncated = all.length > page.length;
  ctx.sendXml(
    xmlRoot('ListPartsResult', [
      xmlElement('Bucket', bucket),
      xmlElement('Key', key),
      xmlElement('UploadId', upload.uploadId),
      owner('Initiator'),
      owner('Owner'),
      xmlElement('StorageClass', upload.storageClass),
      xmlElement('PartNumberMarker', marker),
      xmlElement('NextPartNumberMarker', page.length > 0 ? page[page.length - 1]!.number : 0),
      xmlElement('MaxParts', maxParts),
      xmlElement('IsTruncated', truncated),
      upload.checksumAlgorithm ? xmlElement('ChecksumAlgorithm', upload.checksumAlgorithm) : '',
      ...page.map((p) =>
        xmlElement('Part', [
          xmlElement('PartNumber', p.number),
          xmlElement('LastModified', p.lastModified),
          xmlElement('ETag', quoteEtag(p.etag)),
          xmlElement('Size', p.size),
          checksumElement(p.checksum),
        ]),
      ),
    ]),
  );
}

/** listMultipartUploads: GET ?uploads with prefix, delimiter, key-marker, upload-id-marker, max-uploads. */
export async function listMultipartUploads(ctx: S3Context): Promise<void> {
  const bucket = ctx.bucketName;
  const prefix = ctx.query.get('prefix') ?? '';
  const delimiter = ctx.query.get('delimiter') ?? '';
  const keyMarker = ctx.query.get('key-marker') ?? '';
  const idMarker = ctx.query.get('upload-id-marker') ?? '';
  const maxUploads = intParam(ctx, 'max-uploads', 1000, 1000);
  const uploads = (await ctx.store.listUploads(bucket)).filter((u) => {
    if (!u.key.startsWith(prefix)) return false;
    if (keyMarker === '') return true;
    if (compareKeys(u.key, keyMarker) > 0) return true;
    // With an upload-id-marker, later uploads of the marker key follow; without one, none of them do.
    return u.key === keyMarker && idMarker !== '' && u.uploadId > idMarker;
  });
  const items: string[] = [];
  const prefixes = new Set<string>();
  let count = 0;
  let truncated = false;
  let nextKey = '';
  let nextId = '';
  for (const u of uploads) {
    if (delimiter !== '') {
      const at = u.key.indexOf(delimiter, prefix.length);
      if (at >= 0) {
        const cp = u.key.slice(0, at + delimiter.length);
        if (prefixes.has(cp)) continue;
        if (count === maxUploads) {
          truncated = true;
          break;
        }
        prefixes.add(cp);
        count++;
        nextKey = cp;
        nextId = '';
        continue;
      }
    }
    if (count === maxUploads) {
      truncated = true;
      break;
    }
    items.push(
      xmlElement('Upload', [
        xmlElement('Key', u.key),
        xmlElement('UploadId', u.uploadId),
        owner('Initiator'),
        owner('Owner'),
        xmlElement('StorageClass', u.storageClass),
        xmlElement('Initiated', u.initiated),
        u.checksumAlgorithm ? xmlElement('ChecksumAlgorithm', u.checksumAlgorithm) : '',
      ]),
    );
    count++;
    nextKey = u.key;
    nextId = u.uploadId;
  }
  ctx.sendXml(
    xmlRoot('ListMultipartUploadsResult', [
      xmlElement('Bucket', bucket),
      xmlElement('KeyMarker', keyMarker),
      xmlElement('UploadIdMarker', idMarker),
      xmlElement('NextKeyMarker', truncated ? nextKey : ''),
      xmlElement('NextUploadIdMarker', truncated ? nextId : ''),
      delimiter !== '' ? xmlElement('Delimiter', delimiter) : '',
      xmlElement('Prefix', prefix),
      xmlElement('MaxUploads', maxUploads),
      xmlElement('IsTruncated', truncated),
      ...items,
      ...[...prefixes].map((cp) => xmlElement('CommonPrefixes', [xmlElement('Prefix', cp)])),
    ]),
  );
}

function stripQuotes(etag: string): string {
  return etag.trim().replace(/^"|"$/g, '').toLowerCase();
}

/** The composite checksum S3 reports for multipart objects: checksum of the part checksums, "-N". */
function compositeChecksum(algorithm: ChecksumAlgorithm, parts: UploadedPart[]): ChecksumValue | undefined {
  if (parts.some((p) => p.checksum?.algorithm !== algorithm)) return undefined;
  const c = createChecksummer(algorithm);
  for (const p of parts) c.update(Buffer.from(p.checksum!.value, 'base64'));
  return { algorithm, value: `${c.digest()}-${parts.length}` };
}

/** completeMultipartUpload: POST ?uploadId with the chosen parts; ETag md5-of-md5s-N. */
export async function completeMultipartUpload(ctx: S3Context): Promise<void> {
  const bucket = ctx.bucketName;
  const key = ctx.objectKey;
  const upload = await ctx.store.getUpload(bucket, key, ctx.query.get('uploadId')!);
  const root = parseRequestXml(await ctx.readBody(MAX_COMPLETE_BODY), 'CompleteMultipartUpload');
  const requested = childList(root, 'Part').map((node) => {
    const num = childText(node, 'PartNumber')?.trim() ?? '';
    const etag = childText(node, 'ETag');
    if (!/^\d{1,5}$/.test(num) || etag === undefined) throw new S3Error('MalformedXML');
    return { number: Number(num), etag: stripQuotes(etag) };
  });
  if (requested.length === 0) throw new S3Error('MalformedXML', 'You must specify at least one part.');
  // Non-decreasing, as MinIO checks: a number listed twice is no order error but an invalid part below
  // (docs/s3.md#completemultipartupload).
  for (let i = 1; i < requested.length; i++) {
    if (requested[i]!.number < requested[i - 1]!.number) throw new S3Error('InvalidPartOrder');
  }
  const uploaded = new Map((await ctx.store.listParts(bucket, upload)).map((p) => [p.number, p]));
  // The object key seals the object's checksum and opens the parts' sealed ones.
  const sse = await planComplete(ctx, bucket, upload);
  let etag: string;
  let checksum: ChecksumValue | undefined;
  const chosen: UploadedPart[] = [];
  try {
    // Encrypted parts store sealed ETags; clients list the ones they were shown.
    const shown: string[] = [];
    let previous = 0;
    for (const r of requested) {
      const part = uploaded.get(r.number);
      const visible = part ? sse.etag(part) : undefined;
      // A part goes into the object once: listed again, it is an invalid part even with its own ETag.
      if (!part || visible !== r.etag || r.number === previous)
        throw new S3Error('InvalidPart', undefined, { bucket, key });
      previous = r.number;
      chosen.push({ ...part, checksum: sse.checksum(part) });
      shown.push(visible);
    }
    for (let i = 0; i < chosen.length - 1; i++) {
      if (chosen[i]!.size < MIN_PART_SIZE) {
        throw new S3Error('EntityTooSmall', undefined, { bucket, key });
      }
    }
    const md5 = createHash('md5');
    for (const e of shown) md5.update(Buffer.from(e, 'hex'));
    etag = `${md5.digest('hex')}-${chosen.length}`;
    checksum = upload.checksumAlgorithm
      ? compositeChecksum(upload.checksumAlgorithm as ChecksumAlgorithm, chosen)
      : undefined;
    const sealed = sse.seal(upload.internal, checksum);
    await ctx.store.completeUpload(
      bucket,
      { ...upload, internal: sealed.internal },
      sse.parts(chosen),
      etag,
      sealed.checksum,
    );
  } finally {
    sse.dispose();
  }
  const scheme = ctx.req.protocol;
  const host = ctx.header('host') ?? 'localhost';
  ctx.sendXml(
    xmlRoot('CompleteMultipartUploadResult', [
      xmlElement(
        'Location',
        `${scheme}://${host}/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`,
      ),
      xmlElement('Bucket', bucket),
      xmlElement('Key', key),
      xmlElement('ETag', quoteEtag(etag)),
      checksumElement(checksum),
    ]),
    200,
    sse.headers,
  );
}

/** abortMultipartUpload: DELETE ?uploadId */
export async function abortMultipartUpload(ctx: S3Context): Promise<void> {
  await ctx.store.abortUpload(ctx.bucketName, ctx.objectKey, ctx.query.get('uploadId')!);
  ctx.sendEmpty(204);
}
