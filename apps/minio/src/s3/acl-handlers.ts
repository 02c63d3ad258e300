// ACLs as MinIO answers them: no ACLs are kept. Get*Acl returns the owner with
// FULL_CONTROL; Put*Acl succeeds only for what changes nothing — the canned `private` ACL, or an
// AccessControlPolicy body whose first grant is FULL_CONTROL — and answers NotImplemented otherwise.

import { OWNER_ID, OWNER_NAME, type S3Context } from './context.js';
import { childList, childText, parseRequestXml, xmlElement, xmlRoot } from './xml.js';

const MAX_ACL_BODY = 64 * 1024;
const XSI = 'http://www.w3.org/2001/XMLSchema-instance';

function ownerFullControl(): string {
  const owner = [xmlElement('ID', OWNER_ID), xmlElement('DisplayName', OWNER_NAME)];
  return xmlRoot('AccessControlPolicy', [
    xmlElement('Owner', owner),
    xmlElement('AccessControlList', [
      xmlElement('Grant', [
        xmlElement('Grantee', owner, ` xmlns:xsi="${XSI}" xsi:type="CanonicalUser"`),
        xmlElement('Permission', 'FULL_CONTROL'),
      ]),
    ]),
  ]);
}

/** The ACL a Put*Acl request asks for must be one that changes nothing (see the file comment). */
async function checkAclRequest(ctx: S3Context): Promise<void> {
  const canned = ctx.header('x-amz-acl');
  if (canned !== undefined) {
    if (canned !== 'private') ctx.notImplemented(`The canned ACL ${canned}`);
    return;
  }
  const root = parseRequestXml(await ctx.readBody(MAX_ACL_BODY), 'AccessControlPolicy');
  const lists = childList(root, 'AccessControlList');
  const grants = lists.length === 1 ? childList(lists[0], 'Grant') : [];
  if (grants.length === 0) ctx.notImplemented('An ACL without grants');
  if (childText(grants[0], 'Permission') !== 'FULL_CONTROL')
    ctx.notImplemented('An ACL other than FULL_CONTROL');
}

/** getBucketAcl: GET /bucket?acl */
export async function getBucketAcl(ctx: S3Context): Promise<void> {
  await ctx.store.assertBucket(ctx.bucketName);
  ctx.sendXml(ownerFullControl());
}

/** putBucketAcl: PUT /bucket?acl */
export async function putBucketAcl(ctx: S3Context): Promise<void> {
  await ctx.store.assertBucket(ctx.bucketName);
  await checkAclRequest(ctx);
  ctx.sendEmpty(200);
}

/** getObjectAcl: GET /bucket/key?acl */
export async function getObjectAcl(ctx: S3Context): Promise<void> {
  await ctx.store.getMeta(ctx.bucketName, ctx.objectKey);
  ctx.sendXml(ownerFullControl());
}

/** putObjectAcl: PUT /bucket/key?acl */
export async function putObjectAcl(ctx: S3Context): Promise<void> {
  await ctx.store.getMeta(ctx.bucketName, ctx.objectKey);
  await checkAclRequest(ctx);
  ctx.sendEmpty(200);
}
