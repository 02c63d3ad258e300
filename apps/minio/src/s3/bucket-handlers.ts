// Bucket operations and listings: ListBuckets, CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation,
// GetBucketVersioning, ListObjects (v1), ListObjectsV2 and ListObjectVersions.

import { S3Error } from '../errors.js';
import { resolveListingEtags } from '../sse/hooks.js';
import type { ListPage } from '../storage/fs-store.js';
import { checkBucketName } from '../storage/keys.js';
import { OWNER_ID, OWNER_NAME, type S3Context } from './context.js';
import { quoteEtag } from './http-rules.js';
import { NULL_VERSION } from './versions.js';
import { childText, parseRequestXml, S3_NAMESPACE, xmlDocument, xmlElement, xmlRoot } from './xml.js';

const MAX_KEYS = 1000;

function owner(): string {
  return xmlElement('Owner', [xmlElement('ID', OWNER_ID), xmlElement('DisplayName', OWNER_NAME)]);
}

/** listBuckets: GET / */
export async function listBuckets(ctx: S3Context): Promise<void> {
  const buckets = await ctx.store.listBuckets();
  ctx.sendXml(
    xmlRoot('ListAllMyBucketsResult', [
      owner(),
      xmlElement(
        'Buckets',
        buckets.map((b) =>
          xmlElement('Bucket', [
            xmlElement('Name', b.name),
            xmlElement('CreationDate', b.created.toISOString()),
          ]),
        ),
      ),
    ]),
  );
}

/** createBucket: PUT /bucket with an optional CreateBucketConfiguration body. */
export async function createBucket(ctx: S3Context): Promise<void> {
  const bucket = ctx.bucketName;
  checkBucketName(bucket);
  const body = await ctx.readBody(64 * 1024);
  if (body.length > 0) {
    const root = parseRequestXml(body, 'CreateBucketConfiguration');
    const location = childText(root, 'LocationConstraint');
    if (location !== undefined && location !== '' && location !== ctx.config.region) {
      throw new S3Error(
        'InvalidArgument',
        `The location constraint ${location} does not match this server's region ${ctx.config.region}.`,
      );
    }
  }
  if (ctx.header('x-amz-bucket-object-lock-enabled')?.toLowerCase() === 'true')
    ctx.notImplemented('Object lock');
  await ctx.store.createBucket(bucket);
  ctx.sendEmpty(200, { location: `/${bucket}` });
}

/** headBucket: 200 with the region, or NoSuchBucket (no body on HEAD). */
export async function headBucket(ctx: S3Context): Promise<void> {
  await ctx.store.assertBucket(ctx.bucketName);
  ctx.sendEmpty(200, { 'x-amz-bucket-region': ctx.config.region });
}

/** deleteBucket: only when empty. */
export async function deleteBucket(ctx: S3Context): Promise<void> {
  // The bucket's configuration (default encryption included) goes with its metadata record.
  await ctx.store.deleteBucket(ctx.bucketName);
  ctx.sendEmpty(204);
}

/** getBucketLocation: empty for us-east-1, as AWS answers. */
export async function getBucketLocation(ctx: S3Context): Promise<void> {
  await ctx.store.assertBucket(ctx.bucketName);
  const region = ctx.config.region === 'us-east-1' ? '' : ctx.config.region;
  ctx.sendXml(xmlDocument(xmlElement('LocationConstraint', region, ` xmlns="${S3_NAMESPACE}"`)));
}

/**
 * getBucketVersioning: versioning is never enabled, reported as an empty configuration, as MinIO reports
 * a bucket that never had it (docs/s3.md#versions).
 */
export async function getBucketVersioning(ctx: S3Context): Promise<void> {
  await ctx.store.assertBucket(ctx.bucketName);
  ctx.sendXml(xmlRoot('VersioningConfiguration', []));
}

/**
 * S3's encoding-type=url: percent-encode everything but unreserved characters and '/', spaces as '+'
 * (the form Go's url.QueryEscape gives, which MinIO and AWS emit).
 */
export function s3UrlEncode(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%2F/g, '/')
    .replace(/%20/g, '+');
}

interface ListParams {
  prefix: string;
  delimiter: string;
  maxKeys: number;
  encode: (s: string) => string;
  encodingType: string | undefined;
}

function listParams(ctx: S3Context): ListParams {
  const encodingType = ctx.query.get('encoding-type');
  if (encodingType !== undefined && encodingType.toLowerCase() !== 'url') {
    throw new S3Error('InvalidArgument', 'Invalid Encoding Method specified in Request');
  }
  const rawMax = ctx.query.get('max-keys');
  let maxKeys = MAX_KEYS;
  if (rawMax !== undefined) {
    if (!/^\d+$/.test(rawMax))
      throw new S3Error('InvalidArgument', 'Provided max-keys not an integer or within integer range');
    maxKeys = Math.min(Number(rawMax), MAX_KEYS);
  }
  return {
    prefix: ctx.query.get('prefix') ?? '',
    delimiter: ctx.query.get('delimiter') ?? '',
    maxKeys,
    encode: encodingType ? s3UrlEncode : (s) => s,
    encodingType: encodingType ? 'url' : undefined,
  };
}

function contents(page: ListPage, p: ListParams, withOwner: boolean): string[] {
  const items = page.objects.map(({ key, summary }) =>
    xmlElement('Contents', [
      xmlElement('Key', p.encode(key)),
      xmlElement('LastModified', summary.lastModified),
      xmlElement('ETag', quoteEtag(summary.etag)),
      xmlElement('Size', summary.size),
      withOwner ? owner() : '',
      xmlElement('StorageClass', summary.storageClass),
    ]),
  );
  for (const cp of page.commonPrefixes) {
    items.push(xmlElement('CommonPrefixes', [xmlElement('Prefix', p.encode(cp))]));
  }
  return items;
}

/** One page of the bucket's listing after key `after`, with the ETags clients see. */
async function listPage(ctx: S3Context, bucket: string, p: ListParams, after: string): Promise<ListPage> {
  // max-keys=0 asks for nothing: an empty page that is not truncated, as MinIO answers (docs/s3.md#listing).
  if (p.maxKeys === 0) {
    await ctx.store.assertBucket(bucket);
    return { objects: [], commonPrefixes: [], isTruncated: false, last: undefined };
  }
  const page = await ctx.store.list(bucket, {
    prefix: p.prefix,
    delimiter: p.delimiter,
    after,
    maxKeys: p.maxKeys,
  });
  await resolveListingEtags(ctx, bucket, page);
  return page;
}

/** listObjectsV1: marker-based paging; NextMarker when a delimiter is given, as AWS does. */
export async function listObjectsV1(ctx: S3Context): Promise<void> {
  const bucket = ctx.bucketName;
  const p = listParams(ctx);
  const marker = ctx.query.get('marker') ?? '';
  const page = await listPage(ctx, bucket, p, marker);
  ctx.sendXml(
    xmlRoot('ListBucketResult', [
      xmlElement('Name', bucket),
      xmlElement('Prefix', p.encode(p.prefix)),
      xmlElement('Marker', p.encode(marker)),
      xmlElement('MaxKeys', p.maxKeys),
      p.delimiter !== '' ? xmlElement('Delimiter', p.encode(p.delimiter)) : '',
      xmlElement('IsTruncated', page.isTruncated),
      page.isTruncated && p.delimiter !== '' && page.last !== undefined
        ? xmlElement('NextMarker', p.encode(page.last))
        : '',
      ...contents(page, p, true),
      p.encodingType ? xmlElement('EncodingType', p.encodingType) : '',
    ]),
  );
}

function decodeToken(token: string): string {
  const text = Buffer.from(token, 'base64').toString('utf8');
  if (token === '' || Buffer.from(text, 'utf8').toString('base64') !== token) {
    throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect');
  }
  return text;
}

/** listObjectsV2: continuation tokens (base64 of the last key or prefix), start-after, fetch-owner. */
export async function listObjectsV2(ctx: S3Context): Promise<void> {
  const bucket = ctx.bucketName;
  const p = listParams(ctx);
  const token = ctx.query.get('continuation-token');
  const startAfter = ctx.query.get('start-after');
  const after = token !== undefined ? decodeToken(token) : (startAfter ?? '');
  const fetchOwner = ctx.query.get('fetch-owner') === 'true';
  const page = await listPage(ctx, bucket, p, after);
  ctx.sendXml(
    xmlRoot('ListBucketResult', [
      xmlElement('Name', bucket),
      xmlElement('Prefix', p.encode(p.prefix)),
      startAfter !== undefined ? xmlElement('StartAfter', p.encode(startAfter)) : '',
      token !== undefined ? xmlElement('ContinuationToken', token) : '',
      page.isTruncated && page.last !== undefined
        ? xmlElement('NextContinuationToken', Buffer.from(page.last, 'utf8').toString('base64'))
        : '',
      xmlElement('KeyCount', page.objects.length + page.commonPrefixes.length),
      xmlElement('MaxKeys', p.maxKeys),
      p.delimiter !== '' ? xmlElement('Delimiter', p.encode(p.delimiter)) : '',
      xmlElement('IsTruncated', page.isTruncated),
      ...contents(page, p, fetchOwner),
      p.encodingType ? xmlElement('EncodingType', p.encodingType) : '',
    ]),
  );
}

/**
 * listObjectVersions: GET /bucket?versions. No bucket keeps versions, so each object is its one `null`
 * version, the latest; paging by key-marker as ListObjects pages by marker (docs/s3.md#versions).
 */
export async function listObjectVersions(ctx: S3Context): Promise<void> {
  const bucket = ctx.bucketName;
  const p = listParams(ctx);
  const keyMarker = ctx.query.get('key-marker') ?? '';
  const versionIdMarker = ctx.query.get('version-id-marker') ?? '';
  // MinIO's refusals, in its order: a version marker without a key marker, a key marker outside the prefix.
  if (versionIdMarker !== '' && keyMarker === '')
    ctx.notImplemented('A version-id-marker without a key-marker');
  if (keyMarker !== '' && !keyMarker.startsWith(p.prefix))
    ctx.notImplemented('A key-marker outside the prefix');
  const page = await listPage(ctx, bucket, p, keyMarker);
  const versions = page.objects.map(({ key, summary }) =>
    xmlElement('Version', [
      xmlElement('Key', p.encode(key)),
      xmlElement('LastModified', summary.lastModified),
      xmlElement('ETag', quoteEtag(summary.etag)),
      xmlElement('Size', summary.size),
      owner(),
      xmlElement('StorageClass', summary.storageClass),
      xmlElement('IsLatest', true),
      xmlElement('VersionId', NULL_VERSION),
    ]),
  );
  const prefixes = page.commonPrefixes.map((cp) =>
    xmlElement('CommonPrefixes', [xmlElement('Prefix', p.encode(cp))]),
  );
  ctx.sendXml(
    xmlRoot('ListVersionsResult', [
      xmlElement('Name', bucket),
      xmlElement('Prefix', p.encode(p.prefix)),
      xmlElement('KeyMarker', p.encode(keyMarker)),
      // The last entry's version: the empty id of an unversioned object, as MinIO sends it.
      page.isTruncated && page.last !== undefined ? xmlElement('NextKeyMarker', p.encode(page.last)) : '',
      xmlElement('NextVersionIdMarker', ''),
      xmlElement('VersionIdMarker', versionIdMarker),
      xmlElement('MaxKeys', p.maxKeys),
      p.delimiter !== '' ? xmlElement('Delimiter', p.encode(p.delimiter)) : '',
      xmlElement('IsTruncated', page.isTruncated),
      ...versions,
      ...prefixes,
      p.encodingType ? xmlElement('EncodingType', p.encodingType) : '',
    ]),
  );
}
