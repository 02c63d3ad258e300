// Odd header values never make the server answer 5xx (501 NotImplemented aside, S3's answer for what a
// server does not offer) and never take it down. A fixed seed makes every run send the same few hundred
// requests: signed and unsigned, on service, bucket, sub-resource and object routes, with garbage in
// Content-Type, Content-MD5, x-amz-* headers, Range and Expect, and some in the path, the query and the
// body. A canary object must survive intact. FUZZ_REQUESTS=2000 runs a longer sequence.
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, startServer, type TestServer } from './helpers.js';
import { errorCode, signHeaders } from './raw-http.js';

const SEED = 0x5eed17;
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 400);
const bucket = 'fuzz';
const canary = Buffer.from('the canary must survive every request');

/** mulberry32: a small seeded PRNG, so that a failure replays exactly. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CONTENT_TYPES = [
  '',
  ' ',
  ';',
  '/',
  'text',
  'text/',
  '/plain',
  'text/plain;',
  'text/plain;;;',
  'text/plain; charset',
  'text/plain; charset=',
  'text/plain; charset="unterminated',
  'a/b; c=d; e',
  'multipart/form-data',
  'multipart/form-data; boundary=',
  'application/x-www-form-urlencoded',
  'application/json',
  'application/xml',
  '*/*',
  'x'.repeat(4000),
  'tëxt/plàin',
  'text/plain\tcharset=utf-8',
  '💥'.length > 0 ? 'image/\u00ff' : '',
];
const GARBAGE = [
  '',
  ' ',
  '-',
  '0',
  '-1',
  '1e999',
  'null',
  '%00',
  '%zz',
  '\u00ff\u00fe',
  'a'.repeat(3000),
  '=',
  ',',
  ';;',
  '"',
];

function pick<T>(rnd: () => number, list: readonly T[]): T {
  return list[Math.floor(rnd() * list.length)]!;
}

const TARGETS = [
  '/',
  `/${bucket}`,
  `/${bucket}/`,
  `/${bucket}/canary-neighbour`,
  `/${bucket}/dir/key.txt`,
  '/no-such-bucket',
  '/no-such-bucket/key',
  '/Bad_Bucket!/key',
];
const QUERIES = [
  '',
  'acl',
  'tagging',
  'versioning',
  'location',
  'encryption',
  'policy',
  'uploads',
  'uploadId=nope',
  'partNumber=1&uploadId=nope',
  'delete',
  'list-type=2',
  'list-type=2&max-keys=zz',
  'max-keys=-1',
  'lifecycle',
  'cors',
  'partNumber=0',
  'response-content-type=%00',
];
const METHODS = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'OPTIONS'];

/** Garbage in the headers S3 reads; `signable` are safe to sign (the signer trims nothing odd). */
function oddHeaders(rnd: () => number): Record<string, string> {
  const h: Record<string, string> = {};
  const maybe = (p: number) => rnd() < p;
  if (maybe(0.7)) h['content-type'] = pick(rnd, CONTENT_TYPES);
  if (maybe(0.2)) h['content-md5'] = pick(rnd, [...GARBAGE, '1B2M2Y8AsgTpgAmY7PhCfg==', 'AAAA']);
  if (maybe(0.2))
    h.range = pick(rnd, [
      ...GARBAGE,
      'bytes=',
      'bytes=5-1',
      'bytes=-0',
      'bytes=0-0,1-1',
      'bytes=99999999999999999999-',
    ]);
  if (maybe(0.15)) h.expect = pick(rnd, [...GARBAGE, '100-continue', '100-Continue, x', 'nonsense']);
  if (maybe(0.15))
    h['x-amz-server-side-encryption'] = pick(rnd, [...GARBAGE, 'AES256', 'aws:kms', 'aws:kms:dsse']);
  if (maybe(0.1)) h['x-amz-server-side-encryption-customer-algorithm'] = pick(rnd, [...GARBAGE, 'AES256']);
  if (maybe(0.1)) h['x-amz-server-side-encryption-customer-key'] = pick(rnd, GARBAGE);
  if (maybe(0.1))
    h['x-amz-server-side-encryption-context'] = pick(rnd, [...GARBAGE, 'e30=', 'W10=', 'bnVsbA==']);
  if (maybe(0.1)) h['x-amz-storage-class'] = pick(rnd, [...GARBAGE, 'STANDARD', 'GLACIER']);
  if (maybe(0.15)) h['x-amz-tagging'] = pick(rnd, [...GARBAGE, 'a=b&a=c', 'k=%zz', '&&&']);
  if (maybe(0.15)) h['x-amz-meta-odd'] = pick(rnd, GARBAGE);
  if (maybe(0.1))
    h['x-amz-copy-source'] = pick(rnd, [...GARBAGE, `/${bucket}/canary`, '/%', '/no-such-bucket/x']);
  if (maybe(0.1)) h['x-amz-copy-source-range'] = pick(rnd, [...GARBAGE, 'bytes=0-0']);
  if (maybe(0.1)) h['x-amz-metadata-directive'] = pick(rnd, [...GARBAGE, 'REPLACE', 'COPY']);
  if (maybe(0.1)) h['x-amz-checksum-crc32'] = pick(rnd, GARBAGE);
  if (maybe(0.1)) h['x-amz-sdk-checksum-algorithm'] = pick(rnd, [...GARBAGE, 'CRC32', 'SHA1']);
  if (maybe(0.1)) h['x-amz-trailer'] = pick(rnd, [...GARBAGE, 'x-amz-checksum-crc32']);
  if (maybe(0.1)) h['x-amz-decoded-content-length'] = pick(rnd, GARBAGE);
  if (maybe(0.1)) h['x-amz-acl'] = pick(rnd, [...GARBAGE, 'private', 'public-read']);
  if (maybe(0.1)) h['if-match'] = pick(rnd, GARBAGE);
  if (maybe(0.1)) h['if-modified-since'] = pick(rnd, GARBAGE);
  return h;
}

const PATH_PIECES = [
  'a',
  'dir',
  '..',
  '.',
  '%2F',
  '%2e%2e',
  '%',
  '%G1',
  '%00',
  '%C3%A9',
  '%FF',
  '~',
  '!',
  "'",
  '*',
  '=',
  ';',
  ':',
  '@',
  '$',
  ',',
  '+',
  '//',
];

/** A path of odd segments, sometimes under the fuzz bucket. */
function oddPath(rnd: () => number): string {
  const segments: string[] = [];
  const n = 1 + Math.floor(rnd() * 4);
  for (let i = 0; i < n; i++) {
    let seg = '';
    const k = 1 + Math.floor(rnd() * 4);
    for (let j = 0; j < k; j++) seg += pick(rnd, PATH_PIECES);
    segments.push(rnd() < 0.05 ? 'k'.repeat(1100) : seg);
  }
  return `${rnd() < 0.6 ? `/${bucket}/` : '/'}${segments.join('/')}`;
}

const QUERY_PIECES = [
  'max-keys=99999999999999999999',
  'max-keys=0',
  'prefix=%FF',
  'prefix=%',
  'delimiter=',
  'delimiter=%00',
  'marker=%00',
  'continuation-token=!!!',
  'continuation-token=',
  'encoding-type=url',
  'encoding-type=xxx',
  'fetch-owner=true',
  'start-after=zzz',
  'uploads',
  'uploadId=',
  'partNumber=10001',
  'partNumber=1.5',
  'versionId=null',
  'X-Amz-Algorithm=AWS4-HMAC-SHA256',
  'X-Amz-Credential=minio%2F20200101%2Fus-east-1%2Fs3%2Faws4_request',
  'X-Amz-Expires=-1',
  'X-Amz-Signature=zz',
  'X-Amz-Date=2020',
  '&&',
  '=',
  'a=b=c',
  'list-type=3',
  'key-marker=%FF&upload-id-marker=x',
  'part-number-marker=-1',
  'max-parts=zz',
  'max-uploads=-5',
];

function oddQuery(rnd: () => number): string {
  const n = 1 + Math.floor(rnd() * 3);
  return Array.from({ length: n }, () => pick(rnd, [...QUERY_PIECES, ...QUERIES])).join('&');
}

const BODIES = [
  '<Delete><Object><Key>',
  '<?xml version="1.0"?><Delete><Object><Key>never-was</Key></Object><Quiet>maybe</Quiet></Delete>',
  '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><Tagging><TagSet><Tag><Key>&e;</Key><Value>v</Value></Tag></TagSet></Tagging>',
  '<Tagging><TagSet>' + '<Tag><Key>k</Key><Value>v</Value></Tag>'.repeat(60) + '</TagSet></Tagging>',
  '<CompleteMultipartUpload><Part><PartNumber>x</PartNumber></Part></CompleteMultipartUpload>',
  '<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>nope</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>',
  '<AccessControlPolicy><Owner><ID>x</ID></Owner></AccessControlPolicy>',
  '<a>'.repeat(500),
  '\u0000\u0001\u00ff',
];

/** A body for PUT/POST: mostly a little text, sometimes XML garbage or random bytes. */
function oddBody(rnd: () => number): Buffer {
  const r = rnd();
  if (r < 0.3) return Buffer.from(pick(rnd, BODIES));
  if (r < 0.4) {
    const out = Buffer.alloc(Math.floor(rnd() * 512));
    for (let i = 0; i < out.length; i++) out[i] = Math.floor(rnd() * 256);
    return out;
  }
  return Buffer.from('x'.repeat(Math.floor(rnd() * 64)));
}

interface Outcome {
  status: number;
  code: string | undefined;
}

function sendRaw(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer | undefined,
): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, code: errorCode(Buffer.concat(chunks).toString()) }),
      );
      res.on('error', reject);
    });
    req.setTimeout(5000, () => req.destroy(new Error('no answer within 5 s')));
    req.on('error', reject);
    req.end(body);
  });
}

let srv: TestServer;

beforeAll(async () => {
  srv = await startServer();
  await srv.s3.send(new (await import('@aws-sdk/client-s3')).CreateBucketCommand({ Bucket: bucket }));
  await srv.s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: 'canary', Body: canary, ContentType: 'text/x-canary' }),
  );
});
afterAll(async () => {
  await srv.close();
});

describe(`${REQUESTS} requests with odd headers, paths, queries and bodies (seed ${SEED.toString(16)})`, () => {
  it('never answer 5xx but 501 NotImplemented, and the server and the canary survive', {
    timeout: 600_000,
  }, async () => {
    const rnd = prng(SEED);
    const failures: string[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const method = pick(rnd, METHODS);
      const target = rnd() < 0.25 ? oddPath(rnd) : pick(rnd, TARGETS);
      const query = rnd() < 0.25 ? oddQuery(rnd) : pick(rnd, QUERIES);
      const odd = oddHeaders(rnd);
      const body = method === 'PUT' || method === 'POST' ? oddBody(rnd) : undefined;
      if (body !== undefined && query.includes('delete') && rnd() < 0.5)
        odd['content-md5'] = createHash('md5').update(body).digest('base64');
      const host = `127.0.0.1:${srv.port}`;
      const signed = rnd() < 0.8;
      const sized = body === undefined ? odd : { ...odd, 'content-length': String(body.length) };
      let headers: Record<string, string>;
      try {
        headers = signed
          ? signHeaders(host, { method, path: target, query, headers: sized })
          : { host, ...sized };
      } catch {
        headers = { host, ...sized };
      }
      const path = query ? `${target}?${query}` : target;
      const got = await sendRaw(srv.port, method, path, headers, body).catch((err: Error) => ({
        status: -1,
        code: err.message,
      }));
      // A HEAD answer has no body to name its code: 501 there is NotImplemented too.
      const notImplemented = got.status === 501 && (got.code === 'NotImplemented' || method === 'HEAD');
      if (got.status < 100 || (got.status >= 500 && !notImplemented))
        failures.push(`#${i} ${method} ${path} ${JSON.stringify(odd)} → ${got.status} ${got.code}`);
    }
    expect(failures).toEqual([]);
    const buckets = await srv.s3.send(new ListBucketsCommand({}));
    expect(buckets.Buckets?.map((b) => b.Name)).toContain(bucket);
    const got = await srv.s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'canary' }));
    expect((await collect(got.Body as AsyncIterable<Uint8Array>)).equals(canary)).toBe(true);
    const head = await srv.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'canary' }));
    expect(head.ContentType).toBe('text/x-canary');
  });
});
