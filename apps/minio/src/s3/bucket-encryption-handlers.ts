// PutBucketEncryption, GetBucketEncryption, DeleteBucketEncryption: the ServerSideEncryptionConfiguration
// XML of a bucket's default encryption (docs/minio-sse.md#default-encryption), which sse keeps.
import { S3Error } from '../errors.js';
import type { BucketEncryption } from '../sse/bucket-encryption.js';
import type { S3Context } from './context.js';
import { childList, childText, parseRequestXml, xmlElement, xmlRoot } from './xml.js';

function malformed(reason: string): S3Error {
  return new S3Error(
    'MalformedXML',
    `The XML you provided was not well-formed or did not validate against our published schema. (${reason})`,
  );
}

/** Parses and validates a PutBucketEncryption body. Throws S3Error MalformedXML with the reason. */
export function parseBucketEncryption(body: Buffer): BucketEncryption {
  const root = parseRequestXml(body, 'ServerSideEncryptionConfiguration');
  const rules = childList(root, 'Rule');
  if (rules.length !== 1) throw malformed('only one server-side encryption rule is allowed');
  const apply = childList(rules[0], 'ApplyServerSideEncryptionByDefault');
  if (apply.length !== 1) throw malformed('one ApplyServerSideEncryptionByDefault element is required');
  const algorithm = childText(apply[0], 'SSEAlgorithm');
  const keyId = childText(apply[0], 'KMSMasterKeyID');
  if (algorithm !== 'AES256' && algorithm !== 'aws:kms') throw malformed('unknown SSE algorithm');
  if (algorithm === 'AES256') {
    if (keyId !== undefined) throw malformed('no KMS key ID allowed with the AES256 algorithm');
    return { algorithm };
  }
  if (keyId === undefined || keyId === '') throw malformed('the aws:kms algorithm needs a KMS key ID');
  if (keyId !== keyId.trim()) throw malformed('the KMS key ID contains leading or trailing spaces');
  return { algorithm, kmsKeyId: keyId };
}

/** The XML GetBucketEncryption returns. */
export function renderBucketEncryption(c: BucketEncryption): string {
  return xmlRoot('ServerSideEncryptionConfiguration', [
    xmlElement('Rule', [
      xmlElement('ApplyServerSideEncryptionByDefault', [
        xmlElement('SSEAlgorithm', c.algorithm),
        c.kmsKeyId !== undefined ? xmlElement('KMSMasterKeyID', c.kmsKeyId) : '',
      ]),
    ]),
  ]);
}

/** PutBucketEncryption: PUT /<bucket>?encryption (body ≤ 1 MiB). */
export async function putBucketEncryption(ctx: S3Context): Promise<void> {
  const bucket = ctx.bucketName;
  await ctx.store.assertBucket(bucket);
  const config = parseBucketEncryption(await ctx.readBody(1024 * 1024));
  const sse = ctx.sse;
  if (!sse) throw new S3Error('NotImplemented', 'Server side encryption specified but KMS is not configured');
  await sse.setBucketDefault(bucket, config);
  ctx.sendEmpty(200);
}

/** GetBucketEncryption: GET /<bucket>?encryption. */
export async function getBucketEncryption(ctx: S3Context): Promise<void> {
  const bucket = ctx.bucketName;
  await ctx.store.assertBucket(bucket);
  const config = await ctx.sse?.buckets.get(bucket);
  if (!config) throw new S3Error('ServerSideEncryptionConfigurationNotFoundError');
  ctx.sendXml(renderBucketEncryption(config));
}

/** DeleteBucketEncryption: DELETE /<bucket>?encryption → 204. */
export async function deleteBucketEncryption(ctx: S3Context): Promise<void> {
  const bucket = ctx.bucketName;
  await (ctx.sse ? ctx.sse.buckets.delete(bucket) : ctx.store.assertBucket(bucket));
  ctx.sendEmpty(204);
}
