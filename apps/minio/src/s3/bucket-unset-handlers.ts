// The bucket configurations this server never keeps, read as MinIO answers a bucket that has none
// (docs/s3.md#configurations-never-set): tools that read every setting of a bucket (terraform's S3
// provider, s3-tests) get "none" rather than NotImplemented. Writing them stays NotImplemented.
import { S3Error, type S3ErrorCode } from '../errors.js';
import type { S3Context } from './context.js';
import { xmlElement, xmlRoot } from './xml.js';

/** A GET that answers "not configured" with `code` once the bucket is known to exist. */
export function notConfigured(code: S3ErrorCode): (ctx: S3Context) => Promise<void> {
  return async (ctx) => {
    await ctx.store.assertBucket(ctx.bucketName);
    throw new S3Error(code);
  };
}

/** A GET that answers a fixed default document once the bucket is known to exist. */
export function defaultDocument(root: string, children: string[] = []): (ctx: S3Context) => Promise<void> {
  return async (ctx) => {
    await ctx.store.assertBucket(ctx.bucketName);
    ctx.sendXml(xmlRoot(root, children));
  };
}

/** GetBucketRequestPayment: the bucket owner pays. */
export const getBucketRequestPayment = defaultDocument('RequestPaymentConfiguration', [
  xmlElement('Payer', 'BucketOwner'),
]);
