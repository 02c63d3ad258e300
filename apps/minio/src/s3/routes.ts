// The S3 route table. S3 routes by method, by whether the path names a bucket and a key, and by query
// sub-resources; one pipeline runs for every request: address (path or virtual host) → authenticate →
// pick the handler → run it. Unknown sub-resources answer NotImplemented rather than acting as plain
// GET/PUT on the object, so a client never gets a silent wrong answer.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { S3Error } from '../errors.js';
import { rejectInsecureSseC } from '../sse/hooks.js';
import type { FsStore } from '../storage/fs-store.js';
import { checkBucketName } from '../storage/keys.js';
import { getBucketAcl, getBucketPolicy, getObjectAcl, putBucketAcl, putObjectAcl } from './acl-handlers.js';
import {
  deleteBucketEncryption,
  getBucketEncryption,
  putBucketEncryption,
} from './bucket-encryption-handlers.js';
import {
  createBucket,
  deleteBucket,
  getBucketLocation,
  getBucketVersioning,
  headBucket,
  listBuckets,
  listObjectsV1,
  listObjectsV2,
  listObjectVersions,
} from './bucket-handlers.js';
import { deleteBucketTagging, getBucketTagging, putBucketTagging } from './bucket-tagging-handlers.js';
import { type HandlerConfig, headerValue, S3Context } from './context.js';
import { storageToS3Error } from './errors.js';
import {
  abortMultipartUpload,
  completeMultipartUpload,
  createMultipartUpload,
  listMultipartUploads,
  listParts,
  uploadPart,
  uploadPartCopy,
} from './multipart-handlers.js';
import { getObjectAttributes } from './object-attributes-handler.js';
import { copyObject, deleteObject, deleteObjects, getObject, putObject } from './object-handlers.js';
import { authenticate, type Credentials, parseQuery, type SignedRequest, safeDecode } from './sigv4.js';
import { deleteObjectTagging, getObjectTagging, putObjectTagging } from './tagging.js';

/** What the router needs from the server configuration. */
export interface RouterConfig extends HandlerConfig {
  credentials: Credentials;
  /** Domains for virtual-host-style requests (MINIO_DOMAIN): "<bucket>.<domain>". */
  domains: string[];
}

type Handler = (ctx: S3Context) => Promise<void>;

interface Route {
  /** Human name of the operation (for logs and tests). */
  name: string;
  method: string;
  target: 'service' | 'bucket' | 'object';
  /** Query parameters that must be present. */
  query?: string[];
  /** Request headers that must be present. */
  headers?: string[];
  handler: Handler;
}

/**
 * Sub-resources S3 defines. A request naming one that its route does not declare in `query` answers
 * NotImplemented instead of running as the plain operation (GET ?lifecycle is no ListObjects).
 */
const UNSUPPORTED_SUBRESOURCES = [
  'acl',
  'policy',
  'cors',
  'lifecycle',
  'tagging',
  'website',
  'logging',
  'notification',
  'replication',
  'object-lock',
  'retention',
  'legal-hold',
  'accelerate',
  'requestPayment',
  'restore',
  'select',
  'ownershipControls',
  'publicAccessBlock',
  'analytics',
  'inventory',
  'metrics',
  'intelligent-tiering',
  'torrent',
];

/** The route table, most specific first within each method and target. */
export const ROUTES: Route[] = [
  { name: 'ListBuckets', method: 'GET', target: 'service', handler: listBuckets },

  {
    name: 'GetBucketLocation',
    method: 'GET',
    target: 'bucket',
    query: ['location'],
    handler: getBucketLocation,
  },
  {
    name: 'GetBucketVersioning',
    method: 'GET',
    target: 'bucket',
    query: ['versioning'],
    handler: getBucketVersioning,
  },
  {
    name: 'ListMultipartUploads',
    method: 'GET',
    target: 'bucket',
    query: ['uploads'],
    handler: listMultipartUploads,
  },
  {
    name: 'GetBucketEncryption',
    method: 'GET',
    target: 'bucket',
    query: ['encryption'],
    handler: getBucketEncryption,
  },
  {
    name: 'GetBucketTagging',
    method: 'GET',
    target: 'bucket',
    query: ['tagging'],
    handler: getBucketTagging,
  },
  {
    name: 'PutBucketTagging',
    method: 'PUT',
    target: 'bucket',
    query: ['tagging'],
    handler: putBucketTagging,
  },
  {
    name: 'DeleteBucketTagging',
    method: 'DELETE',
    target: 'bucket',
    query: ['tagging'],
    handler: deleteBucketTagging,
  },
  { name: 'GetBucketAcl', method: 'GET', target: 'bucket', query: ['acl'], handler: getBucketAcl },
  { name: 'PutBucketAcl', method: 'PUT', target: 'bucket', query: ['acl'], handler: putBucketAcl },
  { name: 'GetBucketPolicy', method: 'GET', target: 'bucket', query: ['policy'], handler: getBucketPolicy },
  {
    name: 'ListObjectVersions',
    method: 'GET',
    target: 'bucket',
    query: ['versions'],
    handler: listObjectVersions,
  },
  { name: 'ListObjectsV2', method: 'GET', target: 'bucket', query: ['list-type'], handler: listObjectsV2 },
  { name: 'ListObjects', method: 'GET', target: 'bucket', handler: listObjectsV1 },
  {
    name: 'PutBucketEncryption',
    method: 'PUT',
    target: 'bucket',
    query: ['encryption'],
    handler: putBucketEncryption,
  },
  {
    name: 'DeleteBucketEncryption',
    method: 'DELETE',
    target: 'bucket',
    query: ['encryption'],
    handler: deleteBucketEncryption,
  },
  { name: 'HeadBucket', method: 'HEAD', target: 'bucket', handler: headBucket },
  { name: 'CreateBucket', method: 'PUT', target: 'bucket', handler: createBucket },
  { name: 'DeleteBucket', method: 'DELETE', target: 'bucket', handler: deleteBucket },
  { name: 'DeleteObjects', method: 'POST', target: 'bucket', query: ['delete'], handler: deleteObjects },

  { name: 'GetObjectAcl', method: 'GET', target: 'object', query: ['acl'], handler: getObjectAcl },
  { name: 'PutObjectAcl', method: 'PUT', target: 'object', query: ['acl'], handler: putObjectAcl },
  {
    name: 'GetObjectTagging',
    method: 'GET',
    target: 'object',
    query: ['tagging'],
    handler: getObjectTagging,
  },
  {
    name: 'PutObjectTagging',
    method: 'PUT',
    target: 'object',
    query: ['tagging'],
    handler: putObjectTagging,
  },
  {
    name: 'DeleteObjectTagging',
    method: 'DELETE',
    target: 'object',
    query: ['tagging'],
    handler: deleteObjectTagging,
  },
  { name: 'ListParts', method: 'GET', target: 'object', query: ['uploadId'], handler: listParts },
  {
    name: 'GetObjectAttributes',
    method: 'GET',
    target: 'object',
    query: ['attributes'],
    handler: getObjectAttributes,
  },
  { name: 'GetObject', method: 'GET', target: 'object', handler: (ctx) => getObject(ctx, false) },
  { name: 'HeadObject', method: 'HEAD', target: 'object', handler: (ctx) => getObject(ctx, true) },
  {
    name: 'UploadPartCopy',
    method: 'PUT',
    target: 'object',
    query: ['partNumber', 'uploadId'],
    headers: ['x-amz-copy-source'],
    handler: uploadPartCopy,
  },
  {
    name: 'UploadPart',
    method: 'PUT',
    target: 'object',
    query: ['partNumber', 'uploadId'],
    handler: uploadPart,
  },
  {
    name: 'CopyObject',
    method: 'PUT',
    target: 'object',
    headers: ['x-amz-copy-source'],
    handler: copyObject,
  },
  { name: 'PutObject', method: 'PUT', target: 'object', handler: putObject },
  {
    name: 'CreateMultipartUpload',
    method: 'POST',
    target: 'object',
    query: ['uploads'],
    handler: createMultipartUpload,
  },
  {
    name: 'CompleteMultipartUpload',
    method: 'POST',
    target: 'object',
    query: ['uploadId'],
    handler: completeMultipartUpload,
  },
  {
    name: 'AbortMultipartUpload',
    method: 'DELETE',
    target: 'object',
    query: ['uploadId'],
    handler: abortMultipartUpload,
  },
  { name: 'DeleteObject', method: 'DELETE', target: 'object', handler: deleteObject },
];

/** Splits a request into bucket and key from the virtual host or the path. */
export function addressOf(
  rawPath: string,
  host: string | undefined,
  domains: string[],
): { bucket: string | undefined; key: string | undefined } {
  const hostname = (host ?? '').replace(/:\d+$/, '').toLowerCase();
  const path = rawPath.startsWith('/') ? rawPath.slice(1) : rawPath;
  for (const domain of domains) {
    if (hostname.endsWith(`.${domain}`)) {
      const bucket = hostname.slice(0, -domain.length - 1);
      return { bucket, key: path === '' ? undefined : safeDecode(path) };
    }
  }
  if (path === '') return { bucket: undefined, key: undefined };
  const slash = path.indexOf('/');
  if (slash < 0) return { bucket: safeDecode(path), key: undefined };
  const key = path.slice(slash + 1);
  return { bucket: safeDecode(path.slice(0, slash)), key: key === '' ? undefined : safeDecode(key) };
}

function headerMap(rawHeaders: string[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    const list = map.get(name);
    if (list) list.push(rawHeaders[i + 1]!);
    else map.set(name, [rawHeaders[i + 1]!]);
  }
  return map;
}

function findRoute(
  method: string,
  target: Route['target'],
  query: Map<string, string>,
  has: (h: string) => boolean,
) {
  return ROUTES.find(
    (r) =>
      r.method === method &&
      r.target === target &&
      (r.query ?? []).every((q) => query.has(q)) &&
      (r.headers ?? []).every((h) => has(h)),
  );
}

/** Handles one S3 request end to end; throws S3Error for the error handler to render. */
export async function handleS3(
  req: FastifyRequest,
  reply: FastifyReply,
  store: FsStore,
  config: RouterConfig,
): Promise<void> {
  const url = req.raw.url ?? '/';
  const q = url.indexOf('?');
  const rawPath = q < 0 ? url : url.slice(0, q);
  const rawQuery = q < 0 ? '' : url.slice(q + 1);
  const { bucket, key } = addressOf(rawPath, req.headers.host, config.domains);
  const resource = bucket === undefined ? '/' : `/${bucket}${key !== undefined ? `/${key}` : ''}`;
  try {
    const signed: SignedRequest = {
      method: req.method,
      rawPath,
      rawQuery,
      headers: headerMap(req.raw.rawHeaders),
    };
    rejectInsecureSseC((h) => headerValue(req.headers, h), req.protocol === 'https', config.sse);
    const auth = authenticate(signed, config.credentials);
    const pairs = parseQuery(rawQuery);
    const ctx = new S3Context(req, reply, store, config, bucket, key, pairs, auth);
    const target = bucket === undefined ? 'service' : key === undefined ? 'bucket' : 'object';
    if (bucket !== undefined && !(target === 'bucket' && req.method === 'PUT')) checkBucketName(bucket);
    const route = findRoute(req.method, target, ctx.query, (h) => ctx.header(h) !== undefined);
    const unsupported = UNSUPPORTED_SUBRESOURCES.find(
      (s) => ctx.query.has(s) && !(route?.query ?? []).includes(s),
    );
    if (unsupported !== undefined && target !== 'service')
      ctx.notImplemented(`The ${unsupported} sub-resource`);
    if (!route) throw new S3Error('MethodNotAllowed');
    await route.handler(ctx);
  } catch (caught) {
    const err = storageToS3Error(caught);
    if (err instanceof S3Error) {
      err.context = { bucket: err.context.bucket ?? bucket, key: err.context.key ?? key, resource };
    }
    throw err;
  }
}
