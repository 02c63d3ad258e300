// PutBucketPolicy, GetBucketPolicy, DeleteBucketPolicy and GetBucketPolicyStatus: a bucket's policy,
// kept as sent in its metadata record once it parses (docs/s3.md#bucket-policies).
import { S3Error } from '../errors.js';
import type { S3Context } from './context.js';
import { MAX_POLICY_SIZE, parseBucketPolicy } from './policy/document.js';
import { xmlElement, xmlRoot } from './xml.js';

/** putBucketPolicy: PUT /bucket?policy with the JSON document → 204. */
export async function putBucketPolicy(ctx: S3Context): Promise<void> {
  const bucket = ctx.bucketName;
  await ctx.store.assertBucket(bucket);
  const length = Number(ctx.header('content-length') ?? '0');
  if (!(length > 0) && ctx.header('transfer-encoding') === undefined)
    throw new S3Error('MissingContentLength');
  if (length > MAX_POLICY_SIZE) throw new S3Error('PolicyTooLarge');
  const text = (await ctx.readBody(MAX_POLICY_SIZE)).toString('utf8');
  const policy = parseBucketPolicy(text, bucket);
  if (policy.version === '')
    throw new S3Error('MalformedPolicy', 'The policy must contain a valid version string');
  await ctx.store.updateBucketMetadata(bucket, (meta) => ({ ...meta, policy: text }));
  ctx.sendEmpty(204);
}

/** getBucketPolicy: GET /bucket?policy → the JSON as put; NoSuchBucketPolicy when none. */
export async function getBucketPolicy(ctx: S3Context): Promise<void> {
  const { policy } = await ctx.store.bucketMetadata(ctx.bucketName);
  if (policy === undefined) throw new S3Error('NoSuchBucketPolicy');
  ctx.reply.code(200).header('content-type', 'application/json').send(policy);
}

/** deleteBucketPolicy: DELETE /bucket?policy → 204, with or without a policy. */
export async function deleteBucketPolicy(ctx: S3Context): Promise<void> {
  await ctx.store.updateBucketMetadata(ctx.bucketName, ({ policy: _policy, ...meta }) => meta);
  ctx.sendEmpty(204);
}

/**
 * getBucketPolicyStatus: GET /bucket?policyStatus → IsPublic TRUE when anonymous requests like this one
 * may both list the bucket and write any object into it. Lower case as AWS writes it: MinIO's TRUE reads
 * as false to botocore, which compares with "true".
 */
export async function getBucketPolicyStatus(ctx: S3Context): Promise<void> {
  const bucket = ctx.bucketName;
  await ctx.store.assertBucket(bucket);
  const readable = await ctx.access.anonymousAllows('s3:ListBucket', bucket);
  const writable = await ctx.access.anonymousAllows('s3:PutObject', bucket, '*');
  ctx.sendXml(xmlRoot('PolicyStatus', [xmlElement('IsPublic', readable && writable ? 'true' : 'false')]));
}
