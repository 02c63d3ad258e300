// Object tagging: the x-amz-tagging header of PutObject, CopyObject (with x-amz-tagging-directive) and
// CreateMultipartUpload, x-amz-tagging-count on GET/HEAD, and GetObjectTagging, PutObjectTagging and
// DeleteObjectTagging; and the rules every tag set obeys, bucket tags included (docs/s3.md#tagging).

import { S3Error } from '../errors.js';
import { checkObjectKey } from '../storage/keys.js';
import type { ObjectTag } from '../storage/types.js';
import type { S3Context } from './context.js';
import { childList, childText, parseRequestXml, xmlElement, xmlRoot } from './xml.js';

/** S3's limit on the tags of one object. */
export const MAX_OBJECT_TAGS = 10;
/** S3's limit on the tags of one bucket. */
export const MAX_BUCKET_TAGS = 50;
const MAX_TAG_KEY = 128;
const MAX_TAG_VALUE = 256;
const MAX_TAGGING_BODY = 64 * 1024;
/** S3's tag alphabet: letters, spaces and digits of any script, and _ . : / = + - @. */
const TAG_CHARACTERS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

/** What a tag set belongs to: its limit and the message of the BadRequest beyond it (MinIO's). */
export type TagSetKind = 'object' | 'bucket';

function tooMany(kind: TagSetKind): S3Error {
  const limit = kind === 'object' ? MAX_OBJECT_TAGS : MAX_BUCKET_TAGS;
  return new S3Error('BadRequest', `Tags cannot be more than ${limit}`);
}

/** Checks one tag: key 1–128 and value 0–256 characters of S3's alphabet, no `aws:` key. Throws InvalidTag. */
function checkTag({ key, value }: ObjectTag): void {
  const keyLength = [...key].length;
  if (keyLength === 0 || keyLength > MAX_TAG_KEY || !TAG_CHARACTERS.test(key))
    throw new S3Error('InvalidTag', 'The TagKey you have provided is invalid');
  // AWS reserves the prefix for its own tags (MinIO does not check it).
  if (key.toLowerCase().startsWith('aws:'))
    throw new S3Error('InvalidTag', 'Your TagKey cannot be prefixed with aws:');
  if ([...value].length > MAX_TAG_VALUE || !TAG_CHARACTERS.test(value))
    throw new S3Error('InvalidTag', 'The TagValue you have provided is invalid');
}

/**
 * Checks a tag set from an XML body against S3's rules, in MinIO's order: each tag, then the count,
 * then duplicate keys. Throws InvalidTag or BadRequest.
 */
export function checkTags(tags: ObjectTag[], kind: TagSetKind = 'object'): ObjectTag[] {
  for (const tag of tags) checkTag(tag);
  if (tags.length > (kind === 'object' ? MAX_OBJECT_TAGS : MAX_BUCKET_TAGS)) throw tooMany(kind);
  const seen = new Set<string>();
  for (const { key } of tags) {
    if (seen.has(key)) throw new S3Error('InvalidTag', 'Cannot provide multiple Tags with the same key');
    seen.add(key);
  }
  return tags;
}

/** The tags of a <Tagging><TagSet> request body (PutObjectTagging, PutBucketTagging), unchecked. */
export function parseTaggingXml(body: Buffer): ObjectTag[] {
  const root = parseRequestXml(body, 'Tagging');
  const sets = childList(root, 'TagSet');
  if (sets.length !== 1) throw new S3Error('MalformedXML');
  return childList(sets[0], 'Tag').map((tag) => {
    const key = childText(tag, 'Key');
    const value = childText(tag, 'Value');
    if (key === undefined || value === undefined) throw new S3Error('MalformedXML');
    return { key, value };
  });
}

/** The <Tagging> document GetObjectTagging and GetBucketTagging answer. */
export function renderTagging(tags: ObjectTag[]): string {
  return xmlRoot('Tagging', [
    xmlElement(
      'TagSet',
      tags.map((t) => xmlElement('Tag', [xmlElement('Key', t.key), xmlElement('Value', t.value)])),
    ),
  ]);
}

/** Tags from an x-amz-tagging header: URL-encoded query parameters ("a=1&b=2"); none when absent. */
export function parseTaggingHeader(value: string | undefined): ObjectTag[] | undefined {
  if (value === undefined) return undefined;
  const tags: ObjectTag[] = [];
  for (const pair of value.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const rawKey = eq < 0 ? pair : pair.slice(0, eq);
    const rawValue = eq < 0 ? '' : pair.slice(eq + 1);
    let tag: ObjectTag;
    try {
      tag = { key: formDecode(rawKey), value: formDecode(rawValue) };
    } catch {
      throw new S3Error(
        'InvalidArgument',
        "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.",
      );
    }
    // One tag at a time, as MinIO reads the header: a repeated key, the tag, then the count.
    if (tags.some((t) => t.key === tag.key))
      throw new S3Error('InvalidTag', 'Cannot provide multiple Tags with the same key');
    checkTag(tag);
    if (tags.length === MAX_OBJECT_TAGS) throw tooMany('object');
    tags.push(tag);
  }
  return tags.length > 0 ? tags : undefined;
}

function formDecode(text: string): string {
  return decodeURIComponent(text.replace(/\+/g, ' '));
}

/** The tags to store for a copy: the source's (COPY, the default) or the request's (REPLACE). */
export function copyTags(ctx: S3Context, sourceTags: ObjectTag[] | undefined): ObjectTag[] | undefined {
  const directive = (ctx.header('x-amz-tagging-directive') ?? 'COPY').toUpperCase();
  if (directive === 'COPY') return sourceTags;
  if (directive === 'REPLACE') return parseTaggingHeader(ctx.header('x-amz-tagging'));
  throw new S3Error('InvalidArgument', 'Unknown tagging directive.');
}

/** getObjectTagging: GET /bucket/key?tagging */
export async function getObjectTagging(ctx: S3Context): Promise<void> {
  const meta = await ctx.store.getMeta(ctx.bucketName, ctx.objectKey);
  ctx.sendXml(renderTagging(meta.tags ?? []));
}

/** putObjectTagging: PUT /bucket/key?tagging with a <Tagging><TagSet> body; replaces the whole set. */
export async function putObjectTagging(ctx: S3Context): Promise<void> {
  const bucket = ctx.bucketName;
  const key = ctx.objectKey;
  checkObjectKey(key);
  await ctx.store.assertBucket(bucket);
  const tags = checkTags(parseTaggingXml(await ctx.readBody(MAX_TAGGING_BODY)), 'object');
  await ctx.store.replaceTags(bucket, key, tags);
  ctx.sendEmpty(200);
}

/** deleteObjectTagging: DELETE /bucket/key?tagging; 204 whether or not the object had tags. */
export async function deleteObjectTagging(ctx: S3Context): Promise<void> {
  await ctx.store.replaceTags(ctx.bucketName, ctx.objectKey, []);
  ctx.sendEmpty(204);
}
