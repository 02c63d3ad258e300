// Object tagging: the x-amz-tagging header of PutObject, CopyObject (with x-amz-tagging-directive) and
// CreateMultipartUpload, x-amz-tagging-count on GET/HEAD, and GetObjectTagging, PutObjectTagging and
// DeleteObjectTagging. The limits and error codes are those of S3 and MinIO: at most 10 tags per object
// (BadRequest "Object tags cannot be greater than 10"), keys of 1–128 and values of 0–256 characters and
// no key twice (InvalidTag).

import { S3Error } from '../errors.js';
import { checkObjectKey } from '../storage/keys.js';
import type { ObjectTag } from '../storage/types.js';
import type { S3Context } from './context.js';
import { childList, childText, parseRequestXml, xmlElement, xmlRoot } from './xml.js';

/** S3's limit on the tags of one object. */
export const MAX_OBJECT_TAGS = 10;
const MAX_TAG_KEY = 128;
const MAX_TAG_VALUE = 256;
const MAX_TAGGING_BODY = 64 * 1024;

/** Checks a tag set against S3's rules; throws BadRequest or InvalidTag. */
export function checkTags(tags: ObjectTag[]): ObjectTag[] {
  if (tags.length > MAX_OBJECT_TAGS) throw new S3Error('BadRequest', 'Object tags cannot be greater than 10');
  const seen = new Set<string>();
  for (const { key, value } of tags) {
    const keyLength = [...key].length;
    if (keyLength === 0 || keyLength > MAX_TAG_KEY)
      throw new S3Error('InvalidTag', 'The TagKey you have provided is invalid');
    if ([...value].length > MAX_TAG_VALUE)
      throw new S3Error('InvalidTag', 'The TagValue you have provided is invalid');
    if (seen.has(key)) throw new S3Error('InvalidTag', 'Cannot provide multiple Tags with the same key');
    seen.add(key);
  }
  return tags;
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
    try {
      tags.push({ key: formDecode(rawKey), value: formDecode(rawValue) });
    } catch {
      throw new S3Error(
        'InvalidArgument',
        "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.",
      );
    }
  }
  checkTags(tags);
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
  const tags = meta.tags ?? [];
  ctx.sendXml(
    xmlRoot('Tagging', [
      xmlElement(
        'TagSet',
        tags.map((t) => xmlElement('Tag', [xmlElement('Key', t.key), xmlElement('Value', t.value)])),
      ),
    ]),
  );
}

/** putObjectTagging: PUT /bucket/key?tagging with a <Tagging><TagSet> body; replaces the whole set. */
export async function putObjectTagging(ctx: S3Context): Promise<void> {
  const bucket = ctx.bucketName;
  const key = ctx.objectKey;
  checkObjectKey(key);
  await ctx.store.assertBucket(bucket);
  const root = parseRequestXml(await ctx.readBody(MAX_TAGGING_BODY), 'Tagging');
  const sets = childList(root, 'TagSet');
  if (sets.length !== 1) throw new S3Error('MalformedXML');
  const tags = childList(sets[0], 'Tag').map((tag) => {
    const k = childText(tag, 'Key');
    const v = childText(tag, 'Value');
    if (k === undefined || v === undefined) throw new S3Error('MalformedXML');
    return { key: k, value: v };
  });
  await ctx.store.replaceTags(bucket, key, checkTags(tags));
  ctx.sendEmpty(200);
}

/** deleteObjectTagging: DELETE /bucket/key?tagging; 204 whether or not the object had tags. */
export async function deleteObjectTagging(ctx: S3Context): Promise<void> {
  await ctx.store.replaceTags(ctx.bucketName, ctx.objectKey, []);
  ctx.sendEmpty(204);
}
