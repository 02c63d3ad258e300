// Bucket policies (docs/s3.md#bucket-policies): Put/Get/DeleteBucketPolicy and GetBucketPolicyStatus with
// the AWS SDK v3, and anonymous requests with plain fetch judged by the policy — what it grants and no
// more, deny beating allow, conditions on the source address, the transport and the listing prefix.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  DeleteBucketPolicyCommand,
  GetBucketPolicyCommand,
  GetBucketPolicyStatusCommand,
  GetObjectCommand,
  PutBucketPolicyCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, startServer, type TestServer } from './helpers.js';
import { errorCode, send } from './raw-http.js';

let srv: TestServer;
const bucket = 'policied';

/** The policies `mc anonymous set download|upload|public` writes for a whole bucket. */
export function cannedPolicy(kind: 'download' | 'upload' | 'public', b: string): object {
  const bucketActions = {
    download: ['s3:GetBucketLocation', 's3:ListBucket'],
    upload: ['s3:GetBucketLocation', 's3:ListBucketMultipartUploads'],
    public: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
  }[kind];
  const objectActions = {
    download: ['s3:GetObject'],
    upload: ['s3:AbortMultipartUpload', 's3:DeleteObject', 's3:ListMultipartUploadParts', 's3:PutObject'],
    public: [
      's3:AbortMultipartUpload',
      's3:DeleteObject',
      's3:GetObject',
      's3:ListMultipartUploadParts',
      's3:PutObject',
    ],
  }[kind];
  return {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: { AWS: ['*'] }, Action: bucketActions, Resource: [`arn:aws:s3:::${b}`] },
      {
        Effect: 'Allow',
        Principal: { AWS: ['*'] },
        Action: objectActions,
        Resource: [`arn:aws:s3:::${b}/*`],
      },
    ],
  };
}

const putPolicy = (policy: object | string, Bucket = bucket) =>
  srv.s3.send(
    new PutBucketPolicyCommand({
      Bucket,
      Policy: typeof policy === 'string' ? policy : JSON.stringify(policy),
    }),
  );

/** An anonymous request: plain fetch, no credentials. */
const anon = (path: string, init: RequestInit = {}) => fetch(`${srv.endpoint}${path}`, init);
async function anonCode(path: string, init: RequestInit = {}): Promise<[number, string | undefined]> {
  const res = await anon(path, init);
  const text = await res.text();
  return [res.status, /<Code>([^<]*)<\/Code>/.exec(text)?.[1]];
}

beforeAll(async () => {
  srv = await startServer();
  await srv.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  for (const key of ['public/a.txt', 'secret/b.txt', 'c.txt'])
    await srv.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `body of ${key}` }));
});
afterAll(async () => {
  await srv.close();
});

describe('Put/Get/DeleteBucketPolicy', () => {
  it('GetBucketPolicy without a policy answers NoSuchBucketPolicy', async () => {
    await expect(srv.s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))).rejects.toMatchObject({
      name: 'NoSuchBucketPolicy',
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('stores the document in the bucket record and returns it as put; delete removes it', async () => {
    const text = JSON.stringify(cannedPolicy('download', bucket));
    const put = await putPolicy(text);
    expect(put.$metadata.httpStatusCode).toBe(204);
    const got = await srv.s3.send(new GetBucketPolicyCommand({ Bucket: bucket }));
    expect(got.Policy).toBe(text);
    const record = JSON.parse(
      await readFile(join(srv.dir, '.minio.sys', 'buckets', `${bucket}.json`), 'utf8'),
    );
    expect(record.policy).toBe(text);
    const del = await srv.s3.send(new DeleteBucketPolicyCommand({ Bucket: bucket }));
    expect(del.$metadata.httpStatusCode).toBe(204);
    await expect(srv.s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))).rejects.toMatchObject({
      name: 'NoSuchBucketPolicy',
    });
  });

  const statement = (s: object) => ({ Version: '2012-10-17', Statement: [s] });
  const allowGet = {
    Effect: 'Allow',
    Principal: '*',
    Action: 's3:GetObject',
    Resource: `arn:aws:s3:::${bucket}/*`,
  };
  it.each([
    ['JSON that does not parse', '{"Version":'],
    ['no Version', JSON.stringify({ Statement: [allowGet] })],
    ['another Version', JSON.stringify({ Version: '2008-10-17', Statement: [allowGet] })],
    ['an unknown field', JSON.stringify({ ...statement(allowGet), Extra: 1 })],
    ['an unknown statement field', JSON.stringify(statement({ ...allowGet, Nope: true }))],
    ['an Effect other than Allow or Deny', JSON.stringify(statement({ ...allowGet, Effect: 'Maybe' }))],
    ['a Service principal', JSON.stringify(statement({ ...allowGet, Principal: { Service: 'x' } }))],
    ['an unknown action', JSON.stringify(statement({ ...allowGet, Action: 's3:Frobnicate' }))],
    ['no action', JSON.stringify(statement({ ...allowGet, Action: [] }))],
    [
      'a resource of another bucket',
      JSON.stringify(statement({ ...allowGet, Resource: 'arn:aws:s3:::other/*' })),
    ],
    ['a resource that is no S3 ARN', JSON.stringify(statement({ ...allowGet, Resource: 'policied/*' }))],
    [
      'an object action on the bucket ARN',
      JSON.stringify(statement({ ...allowGet, Resource: `arn:aws:s3:::${bucket}` })),
    ],
    [
      'an unsupported condition key',
      JSON.stringify(statement({ ...allowGet, Condition: { StringEquals: { 'aws:Referer': 'x' } } })),
    ],
    [
      's3:prefix on GetObject',
      JSON.stringify(statement({ ...allowGet, Condition: { StringEquals: { 's3:prefix': 'x' } } })),
    ],
    [
      'an unsupported operator',
      JSON.stringify(statement({ ...allowGet, Condition: { DateGreaterThan: { 'aws:SourceIp': 'x' } } })),
    ],
    [
      'a bad CIDR',
      JSON.stringify(statement({ ...allowGet, Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/33' } } })),
    ],
  ])('refuses %s as MalformedPolicy and keeps the policy it had', async (_what, text) => {
    const kept = JSON.stringify(statement(allowGet));
    await putPolicy(kept);
    await expect(putPolicy(text)).rejects.toMatchObject({
      name: 'MalformedPolicy',
      $metadata: { httpStatusCode: 400 },
    });
    expect((await srv.s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy).toBe(kept);
    await srv.s3.send(new DeleteBucketPolicyCommand({ Bucket: bucket }));
  });

  it('refuses a document above 20 KiB as PolicyTooLarge and an empty body as MissingContentLength', async () => {
    const big = JSON.stringify({ ...statement(allowGet), Id: 'x'.repeat(21 * 1024) });
    await expect(putPolicy(big)).rejects.toMatchObject({ name: 'PolicyTooLarge' });
    const empty = await send(srv.port, { method: 'PUT', path: `/${bucket}`, query: 'policy', body: '' });
    expect([empty.status, errorCode(empty.body)]).toEqual([411, 'MissingContentLength']);
  });

  it('NoSuchBucket for a policy on a bucket that does not exist', async () => {
    await expect(putPolicy(cannedPolicy('download', 'nobucket'), 'nobucket')).rejects.toMatchObject({
      name: 'NoSuchBucket',
    });
  });
});

describe('anonymous requests', () => {
  it('without a policy every anonymous request is refused', async () => {
    await srv.s3.send(new DeleteBucketPolicyCommand({ Bucket: bucket }));
    expect(await anonCode(`/${bucket}/c.txt`)).toEqual([403, 'AccessDenied']);
    expect(await anonCode(`/${bucket}`)).toEqual([403, 'AccessDenied']);
    expect(await anonCode(`/${bucket}/new.txt`, { method: 'PUT', body: 'x' })).toEqual([403, 'AccessDenied']);
    expect(await anonCode('/')).toEqual([403, 'AccessDenied']);
    expect(await anonCode('/no-such-bucket/key')).toEqual([403, 'AccessDenied']);
  });

  it("mc's download policy: read and list, nothing else", async () => {
    await putPolicy(cannedPolicy('download', bucket));
    const get = await anon(`/${bucket}/c.txt`);
    expect([get.status, await get.text()]).toEqual([200, 'body of c.txt']);
    expect((await anon(`/${bucket}/c.txt`, { method: 'HEAD' })).status).toBe(200);
    const list = await anon(`/${bucket}?list-type=2&prefix=public/`);
    expect(list.status).toBe(200);
    expect(await list.text()).toContain('<Key>public/a.txt</Key>');
    expect(await anonCode(`/${bucket}/new.txt`, { method: 'PUT', body: 'x' })).toEqual([403, 'AccessDenied']);
    expect(await anonCode(`/${bucket}/c.txt`, { method: 'DELETE' })).toEqual([403, 'AccessDenied']);
    expect(await anonCode(`/${bucket}?policy`)).toEqual([403, 'AccessDenied']);
    expect(await anonCode(`/${bucket}?policy`, { method: 'DELETE' })).toEqual([403, 'AccessDenied']);
    expect(await anonCode(`/${bucket}/c.txt?tagging`)).toEqual([403, 'AccessDenied']);
    // A missing key is NoSuchKey to a reader that may list the bucket.
    expect(await anonCode(`/${bucket}/missing`)).toEqual([404, 'NoSuchKey']);
  });

  it("mc's upload policy: write and delete, but not read; a missing key is AccessDenied to it", async () => {
    await putPolicy(cannedPolicy('upload', bucket));
    expect((await anon(`/${bucket}/up.txt`, { method: 'PUT', body: 'uploaded' })).status).toBe(200);
    const stored = await srv.s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'up.txt' }));
    expect((await collect(stored.Body as AsyncIterable<Buffer>)).toString()).toBe('uploaded');
    expect(await anonCode(`/${bucket}/up.txt`)).toEqual([403, 'AccessDenied']);
    expect(await anonCode(`/${bucket}?list-type=2`)).toEqual([403, 'AccessDenied']);
    expect(await anonCode(`/${bucket}/missing`)).toEqual([403, 'AccessDenied']);
    expect((await anon(`/${bucket}/up.txt`, { method: 'DELETE' })).status).toBe(204);
  });

  it("mc's public policy: read, write and list; GetBucketPolicyStatus says public", async () => {
    await putPolicy(cannedPolicy('public', bucket));
    expect((await anon(`/${bucket}/pub.txt`, { method: 'PUT', body: 'p' })).status).toBe(200);
    expect(await (await anon(`/${bucket}/pub.txt`)).text()).toBe('p');
    expect((await anon(`/${bucket}`)).status).toBe(200);
    const status = await srv.s3.send(new GetBucketPolicyStatusCommand({ Bucket: bucket }));
    expect(status.PolicyStatus?.IsPublic).toBe(true);
    await putPolicy(cannedPolicy('download', bucket));
    const readOnly = await srv.s3.send(new GetBucketPolicyStatusCommand({ Bucket: bucket }));
    expect(readOnly.PolicyStatus?.IsPublic).toBe(false);
  });

  it('an anonymous body is checked against its x-amz-content-sha256, and no signed payload is taken', async () => {
    await putPolicy(cannedPolicy('public', bucket));
    const sha = (await import('node:crypto')).createHash('sha256').update('hashed').digest('hex');
    const put = (hash: string) =>
      anonCode(`/${bucket}/hashed.txt`, {
        method: 'PUT',
        body: 'hashed',
        headers: { 'x-amz-content-sha256': hash },
      });
    expect(await put(sha.replace(/^./, sha[0] === '0' ? '1' : '0'))).toEqual([
      400,
      'XAmzContentSHA256Mismatch',
    ]);
    expect(await anonCode(`/${bucket}/hashed.txt`)).toEqual([404, 'NoSuchKey']);
    expect(await put('STREAMING-AWS4-HMAC-SHA256-PAYLOAD')).toEqual([403, 'AccessDenied']);
    expect((await put(sha))[0]).toBe(200);
    expect(await (await anon(`/${bucket}/hashed.txt`)).text()).toBe('hashed');
  });

  it('deny beats allow: a Deny on secret/* holds against an Allow on everything', async () => {
    await putPolicy({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: '*', Action: 's3:*', Resource: `arn:aws:s3:::${bucket}/*` },
        {
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 's3:Get*',
          Resource: `arn:aws:s3:::${bucket}/secret/*`,
        },
      ],
    });
    expect((await anon(`/${bucket}/public/a.txt`)).status).toBe(200);
    expect(await anonCode(`/${bucket}/secret/b.txt`)).toEqual([403, 'AccessDenied']);
    // Deny order does not matter, and the root user is unaffected.
    const root = await srv.s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'secret/b.txt' }));
    expect((await collect(root.Body as AsyncIterable<Buffer>)).toString()).toBe('body of secret/b.txt');
  });

  it('a Deny of everything to everyone leaves the root user its access', async () => {
    await putPolicy({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:*',
          Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
        },
      ],
    });
    const root = await srv.s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'c.txt' }));
    expect(root.$metadata.httpStatusCode).toBe(200);
    expect((await srv.s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy).toContain('Deny');
    expect(await anonCode(`/${bucket}/c.txt`)).toEqual([403, 'AccessDenied']);
  });

  it('statements for a named principal do not apply to anonymous requests', async () => {
    await putPolicy({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: ['arn:aws:iam::123456789012:user/alice'] },
          Action: 's3:GetObject',
          Resource: `arn:aws:s3:::${bucket}/*`,
        },
      ],
    });
    expect(await anonCode(`/${bucket}/c.txt`)).toEqual([403, 'AccessDenied']);
  });

  it('aws:SourceIp: IpAddress and NotIpAddress against the peer address', async () => {
    const withIp = (operator: string, cidr: string) => ({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: '*',
          Action: 's3:GetObject',
          Resource: `arn:aws:s3:::${bucket}/*`,
          Condition: { [operator]: { 'aws:SourceIp': cidr } },
        },
      ],
    });
    await putPolicy(withIp('IpAddress', '127.0.0.0/8'));
    expect((await anon(`/${bucket}/c.txt`)).status).toBe(200);
    await putPolicy(withIp('IpAddress', '10.0.0.0/8'));
    expect(await anonCode(`/${bucket}/c.txt`)).toEqual([403, 'AccessDenied']);
    // A forwarded-for header does not change the address the policy sees.
    expect(await anonCode(`/${bucket}/c.txt`, { headers: { 'x-forwarded-for': '10.1.2.3' } })).toEqual([
      403,
      'AccessDenied',
    ]);
    await putPolicy(withIp('NotIpAddress', '127.0.0.1'));
    expect(await anonCode(`/${bucket}/c.txt`)).toEqual([403, 'AccessDenied']);
  });

  it('aws:SecureTransport: a Deny unless TLS refuses plain HTTP', async () => {
    await putPolicy({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${bucket}/*` },
        {
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:*',
          Resource: `arn:aws:s3:::${bucket}/*`,
          Condition: { Bool: { 'aws:SecureTransport': false } },
        },
      ],
    });
    expect(await anonCode(`/${bucket}/c.txt`)).toEqual([403, 'AccessDenied']);
  });

  it('s3:prefix and s3:delimiter: listing allowed only under public/ with /', async () => {
    await putPolicy({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: '*',
          Action: 's3:ListBucket',
          Resource: `arn:aws:s3:::${bucket}`,
          Condition: { StringLike: { 's3:prefix': 'public/*' }, StringEquals: { 's3:delimiter': '/' } },
        },
      ],
    });
    expect((await anon(`/${bucket}?list-type=2&prefix=public/&delimiter=/`)).status).toBe(200);
    expect(await anonCode(`/${bucket}?list-type=2&prefix=public/`)).toEqual([403, 'AccessDenied']);
    expect(await anonCode(`/${bucket}?list-type=2&prefix=secret/&delimiter=/`)).toEqual([
      403,
      'AccessDenied',
    ]);
    expect(await anonCode(`/${bucket}?list-type=2&delimiter=/`)).toEqual([403, 'AccessDenied']);
  });

  it('DeleteObjects asks per key; a copy needs to read its source', async () => {
    await putPolicy({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: '*',
          Action: ['s3:DeleteObject', 's3:PutObject'],
          Resource: `arn:aws:s3:::${bucket}/public/*`,
        },
      ],
    });
    await srv.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'public/gone.txt', Body: 'g' }));
    const body =
      '<Delete><Object><Key>public/gone.txt</Key></Object><Object><Key>c.txt</Key></Object></Delete>';
    const res = await anon(`/${bucket}?delete`, {
      method: 'POST',
      body,
      headers: {
        'content-md5': (await import('node:crypto')).createHash('md5').update(body).digest('base64'),
      },
    });
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).toContain('<Deleted><Key>public/gone.txt</Key></Deleted>');
    expect(text).toMatch(/<Error><Key>c\.txt<\/Key><Code>AccessDenied<\/Code>/);
    expect(
      (await srv.s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'c.txt' }))).$metadata.httpStatusCode,
    ).toBe(200);
    const copy = await anonCode(`/${bucket}/public/copy.txt`, {
      method: 'PUT',
      headers: { 'x-amz-copy-source': `/${bucket}/secret/b.txt` },
    });
    expect(copy).toEqual([403, 'AccessDenied']);
  });

  it('300 seeded odd anonymous requests against a public bucket: none answers 5xx but 501 NotImplemented', async () => {
    await putPolicy(cannedPolicy('public', bucket));
    let seed = 17;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const pick = <T>(list: T[]): T => list[rand(list.length)]!;
    const odd = ['', '%', '%zz', '../x', '\u00ff', 'null', 'a'.repeat(300), '0', '-1', '*', '/'];
    for (let i = 0; i < 300; i++) {
      const method = pick(['GET', 'HEAD', 'PUT', 'POST', 'DELETE']);
      const path = pick([`/${bucket}`, `/${bucket}/k${rand(3)}`, `/${bucket}/a/b`, '/']);
      const query = pick([
        '',
        'policy',
        'policyStatus',
        'tagging',
        'versions',
        'attributes',
        'delete',
        'uploads',
        'acl',
        `versionId=${encodeURIComponent(pick(odd))}`,
        `uploadId=${encodeURIComponent(pick(odd))}&partNumber=${pick(odd)}`,
        `list-type=2&prefix=${encodeURIComponent(pick(odd))}&max-keys=${encodeURIComponent(pick(odd))}`,
      ]);
      const headers: Record<string, string> = {};
      for (const h of [
        'x-amz-copy-source',
        'content-type',
        'x-amz-content-sha256',
        'range',
        'x-amz-tagging',
        'x-amz-object-attributes',
        'content-md5',
      ]) {
        if (rand(4) === 0) headers[h] = pick(odd).replace(/[^\x20-\x7e]/g, '');
      }
      const withBody = method === 'PUT' || method === 'POST';
      const res = await anon(`${path}${query ? `?${query}` : ''}`, {
        method,
        headers,
        body: withBody
          ? pick([
              '',
              '<Delete><Object><Key>k1</Key></Object></Delete>',
              '{"Version":',
              'x'.repeat(rand(2000)),
            ])
          : undefined,
      });
      const text = await res.text();
      const notImplemented =
        res.status === 501 && (method === 'HEAD' || text.includes('<Code>NotImplemented</Code>'));
      if (!notImplemented)
        expect(res.status, `${method} ${path}?${query} ${JSON.stringify(headers)}`).toBeLessThan(500);
    }
  }, 60_000);
});
