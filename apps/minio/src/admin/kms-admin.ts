// The admin KMS API (docs/minio-sse.md#admin-kms-api) as a fastify plugin: SigV4-signed like every
// admin call, JSON answers. Handlers throw S3Error; the server's one error handler renders it, as JSON
// for these routes (MinIO's admin API answers errors in JSON, S3 routes in XML).
//   POST /minio/admin/v3/kms/status              {"name","default-key-id","endpoints":{...}}
//   POST /minio/admin/v3/kms/key/create?key-id=X  200 empty; KMS errors → 500 InternalError (message appended)
//   GET  /minio/admin/v3/kms/key/status[?key-id=X] {"key-id"[,"encryption-error"][,"decryption-error"]}, always 200
//   GET  /minio/kms/v1/status, POST /minio/kms/v1/key/create, GET /minio/kms/v1/key/status: the newer
//        madmin-go spellings of the same operations (metrics and version are not served)
//   GET  /minio/kms/v1/key/list?pattern=P        [{"createdAt":"","createdBy":"","name"}…] (`mc admin kms
//        key list`): the KMS's keys starting with P (empty or `*`: all), one KES page, as MinIO lists them
// Without a KMS every route answers 501 NotImplemented.
import { canonicalContextJson, constantTimeEqual, zeroize } from '@kms-chain/crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import type { Credentials } from '../config/env.js';
import { S3Error } from '../errors.js';
import { ERROR_FORMAT_JSON } from '../s3/errors.js';
import { authenticate, type SignedRequest } from '../s3/sigv4.js';
import type { SseService } from '../sse/service.js';

/** What the admin routes need. */
export interface KmsAdminOptions {
  credentials: Credentials;
  sse: SseService;
}

function signedRequest(req: FastifyRequest): SignedRequest {
  const url = req.raw.url ?? '/';
  const q = url.indexOf('?');
  const headers = new Map<string, string[]>();
  const raw = req.raw.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const list = headers.get(name);
    if (list) list.push(raw[i + 1]!);
    else headers.set(name, [raw[i + 1]!]);
  }
  return {
    method: req.method,
    rawPath: q < 0 ? url : url.slice(0, q),
    rawQuery: q < 0 ? '' : url.slice(q + 1),
    headers,
  };
}

function keyIdParam(req: FastifyRequest): string | undefined {
  const v = (req.query as Record<string, string | undefined>)['key-id'];
  return v === undefined || v === '' ? undefined : v;
}

/** The admin KMS routes; every one verifies the request's SigV4 signature before anything else. */
export const kmsAdmin: FastifyPluginAsync<KmsAdminOptions> = async (app, opts) => {
  const route = (
    method: 'GET' | 'POST',
    url: string,
    handler: (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>,
  ): void => {
    const guarded: RouteHandlerMethod = async (req, reply) => {
      authenticate(signedRequest(req), opts.credentials);
      return handler(req, reply);
    };
    app.route({ method, url, config: ERROR_FORMAT_JSON, handler: guarded });
  };

  const status = async (_req: FastifyRequest, reply: FastifyReply) => {
    const kms = opts.sse.requireKms();
    const s = await kms.status();
    return reply
      .header('content-type', 'application/json')
      .send(JSON.stringify({ name: s.name, 'default-key-id': s.defaultKeyId, endpoints: s.endpoints }));
  };
  // The newer madmin-go routes answer the same JSON.
  route('GET', '/minio/kms/v1/status', status);
  route('POST', '/minio/admin/v3/kms/status', status);

  const createKey = async (req: FastifyRequest, reply: FastifyReply) => {
    const kms = opts.sse.requireKms();
    const id = keyIdParam(req);
    if (id === undefined) throw new S3Error('InvalidArgument', 'The key-id parameter is required.');
    try {
      await kms.createKey(id);
    } catch (err) {
      throw new S3Error(
        'InternalError',
        `We encountered an internal error, please try again. (${(err as Error).message})`,
      );
    }
    return reply.code(200).send();
  };
  route('POST', '/minio/admin/v3/kms/key/create', createKey);
  route('POST', '/minio/kms/v1/key/create', createKey);

  const listKeys = async (req: FastifyRequest, reply: FastifyReply) => {
    const kms = opts.sse.requireKms();
    const pattern = (req.query as Record<string, string | undefined>)['pattern'] ?? '';
    let names: string[];
    try {
      names = await kms.listKeys(pattern);
    } catch (err) {
      throw new S3Error(
        'InternalError',
        `We encountered an internal error, please try again. (${(err as Error).message})`,
      );
    }
    // madmin's KMSKeyInfo; MinIO fills in the name alone for KES keys.
    const keys = names.map((name) => ({ createdAt: '', createdBy: '', name }));
    return reply.header('content-type', 'application/json').send(JSON.stringify(keys));
  };
  route('GET', '/minio/kms/v1/key/list', listKeys);

  const keyStatus = async (req: FastifyRequest, reply: FastifyReply) => {
    const kms = opts.sse.requireKms();
    const id = keyIdParam(req) ?? kms.defaultKeyId;
    const ctx = canonicalContextJson({ 'MinIO admin API': 'KMSKeyStatusHandler' });
    const out: Record<string, string> = { 'key-id': id };
    try {
      const dk = await kms.generateKey(id, ctx);
      try {
        const plain = await kms.decrypt(id, dk.ciphertext, ctx);
        if (!constantTimeEqual(plain, dk.plaintext))
          out['decryption-error'] = 'decryption failed: plaintexts differ';
        zeroize(plain);
      } catch (err) {
        out['decryption-error'] = (err as Error).message;
      } finally {
        zeroize(dk.plaintext);
      }
    } catch (err) {
      out['encryption-error'] = (err as Error).message;
    }
    return reply.header('content-type', 'application/json').send(JSON.stringify(out));
  };
  route('GET', '/minio/admin/v3/kms/key/status', keyStatus);
  route('GET', '/minio/kms/v1/key/status', keyStatus);
};
