// PutBucketTagging, GetBucketTagging, DeleteBucketTagging: a bucket's tag set, kept in its metadata
// record (docs/s3.md#tagging).
import { S3Error } from '../errors.js';
import type { S3Context } from './context.js';
import { checkTags, parseTaggingXml, renderTagging } from './tagging.js';

const MAX_TAGGING_BODY = 1024 * 1024;

/** putBucketTagging: PUT /bucket?tagging; replaces the whole set. */
export async function putBucketTagging(ctx: S3Context): Promise<void> {
  const bucket = ctx.bucketName;
  await ctx.store.assertBucket(bucket);
  const tags = parseTaggingXml(await ctx.readBody(MAX_TAGGING_BODY));
  try {
    checkTags(tags, 'bucket');
  } catch (err) {
    // MinIO answers every refused bucket tag set as MalformedXML, with the rule's message.
    if (err instanceof S3Error) throw new S3Error('MalformedXML', err.message);
    throw err;
  }
  await ctx.store.updateBucketMetadata(bucket, (meta) => ({ ...meta, tags }));
  ctx.sendEmpty(200);
}

/** getBucketTagging: GET /bucket?tagging; NoSuchTagSet when the bucket has none. */
export async function getBucketTagging(ctx: S3Context): Promise<void> {
  const { tags } = await ctx.store.bucketMetadata(ctx.bucketName);
  if (tags === undefined) throw new S3Error('NoSuchTagSet');
  ctx.sendXml(renderTagging(tags));
}

/** deleteBucketTagging: DELETE /bucket?tagging → 204, with or without tags. */
export async function deleteBucketTagging(ctx: S3Context): Promise<void> {
  await ctx.store.updateBucketMetadata(ctx.bucketName, ({ tags: _tags, ...meta }) => meta);
  ctx.sendEmpty(204);
}
