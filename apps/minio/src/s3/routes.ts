// The S3 request pipeline. S3 routes by method, by whether the path names a bucket and a key, and by
// query sub-resources (the table is route-table.ts); one pipeline runs for every request: address (path
// or virtual host) → authenticate, or take the request as anonymous → pick the route → check what an
// anonymous request may do → run the handler. Unknown sub-resources answer NotImplemented rather than
// acting as plain GET/PUT on the object, so a client never gets a silent wrong answer.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { S3Error } from '../errors.js';
import { requestInfoOf } from '../http/request-context.js';
import { rejectInsecureSseC } from '../sse/hooks.js';
import type { FsStore } from '../storage/fs-store.js';
import { checkBucketName } from '../storage/keys.js';
import { anonymousAuth, conditionValues, type Need, RequestAccess } from './access.js';
import { type HandlerConfig, headerValue, S3Context } from './context.js';
import { storageToS3Error } from './errors.js';
import { ROUTES, type Route, UNSUPPORTED_SUBRESOURCES } from './route-table.js';
import {
  authenticate,
  type Credentials,
  hasCredentials,
  parseQuery,
  type SignedRequest,
  safeDecode,
} from './sigv4.js';
import { noSuchVersion, resolveVersionId } from './versions.js';

/** What the router needs from the server configuration. */
export interface RouterConfig extends HandlerConfig {
  credentials: Credentials;
  /** Domains for virtual-host-style requests (MINIO_DOMAIN): "<bucket>.<domain>". */
  domains: string[];
}

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

/** Throws AccessDenied unless the bucket's policy allows the anonymous request (docs/s3.md#bucket-policies). */
async function authorizeAnonymous(ctx: S3Context, route: Route): Promise<void> {
  if (ctx.bucket === undefined) throw new S3Error('AccessDenied');
  const actions = typeof route.action === 'string' ? [route.action] : route.action;
  const needs: Need[] = actions.length > 0 ? [{ actions, bucket: ctx.bucket, key: ctx.key }] : [];
  await ctx.access.require([...needs, ...(route.needs?.(ctx) ?? [])]);
}

/** The name of the route a request addresses, whether or not it got that far; undefined for none. */
function apiNameOf(
  req: FastifyRequest,
  bucket: string | undefined,
  key: string | undefined,
  rawQuery: string,
): string | undefined {
  try {
    const query = new Map<string, string>();
    for (const [k, v] of parseQuery(rawQuery)) if (!query.has(k)) query.set(k, v);
    const target = bucket === undefined ? 'service' : key === undefined ? 'bucket' : 'object';
    return findRoute(req.method, target, query, (h) => req.headers[h] !== undefined)?.name;
  } catch {
    return undefined;
  }
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
  // What the audit entry names: filled in as the pipeline learns it.
  const info = requestInfoOf(req.raw);
  if (info) {
    info.bucket = bucket;
    info.object = key;
  }
  try {
    const signed: SignedRequest = {
      method: req.method,
      rawPath,
      rawQuery,
      headers: headerMap(req.raw.rawHeaders),
    };
    rejectInsecureSseC((h) => headerValue(req.headers, h), req.protocol === 'https', config.sse);
    const pairs = parseQuery(rawQuery);
    // A request without credentials is anonymous: it may do what the bucket's policy allows.
    const isAnonymous = !hasCredentials(signed, pairs) && !pairs.some(([k]) => k === 'AWSAccessKeyId');
    const auth = isAnonymous
      ? anonymousAuth(headerValue(req.headers, 'x-amz-content-sha256'))
      : authenticate(signed, config.credentials);
    if (info && !isAnonymous) info.accessKey = auth.accessKey;
    const values = conditionValues(req.raw.socket.remoteAddress, req.protocol === 'https', pairs);
    const access = new RequestAccess(store, isAnonymous, values);
    const ctx = new S3Context(req, reply, store, config, bucket, key, pairs, auth, access);
    const target = bucket === undefined ? 'service' : key === undefined ? 'bucket' : 'object';
    if (bucket !== undefined && !(target === 'bucket' && req.method === 'PUT')) checkBucketName(bucket);
    const route = findRoute(req.method, target, ctx.query, (h) => ctx.header(h) !== undefined);
    const unsupported = UNSUPPORTED_SUBRESOURCES.find(
      (s) => ctx.query.has(s) && !(route?.query ?? []).includes(s),
    );
    if (unsupported !== undefined && target !== 'service')
      ctx.notImplemented(`The ${unsupported} sub-resource`);
    if (!route) throw new S3Error(isAnonymous ? 'AccessDenied' : 'MethodNotAllowed');
    if (info) info.api = route.name;
    if (isAnonymous) await authorizeAnonymous(ctx, route);
    if (route.version !== undefined && resolveVersionId(ctx.query.get('versionId')) === 'none') {
      await store.assertBucket(ctx.bucketName);
      if (route.version === 'read') throw noSuchVersion();
      ctx.sendEmpty(204);
      return;
    }
    await route.handler(ctx).catch(async (err: unknown) => {
      // An anonymous reader that may not list the bucket learns nothing of which keys exist.
      const e = storageToS3Error(err);
      if (isAnonymous && e instanceof S3Error && e.code === 'NoSuchKey' && bucket !== undefined) {
        if (!(await access.anonymousAllows('s3:ListBucket', bucket))) throw new S3Error('AccessDenied');
      }
      throw e;
    });
  } catch (caught) {
    // A request refused before routing (a bad signature) is audited under its API's name all the same.
    if (info && info.api === undefined) info.api = apiNameOf(req, bucket, key, rawQuery);
    const err = storageToS3Error(caught);
    if (err instanceof S3Error) {
      err.context = { bucket: err.context.bucket ?? bucket, key: err.context.key ?? key, resource };
    }
    throw err;
  }
}
