// SigV4 against the worked examples of the AWS S3 documentation ("Signature Calculations for the
// Authorization Header", "Query String Authentication", "Transferring Payload in Multiple Chunks").
import { describe, expect, it } from 'vitest';
import { S3Error } from '../errors.js';
import { decodeAwsChunked } from './payload.js';
import { authenticate, type SignedRequest, uriEncode } from './sigv4.js';

const creds = { accessKey: 'AKIAIOSFODNN7EXAMPLE', secretKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const at = new Date(Date.UTC(2013, 4, 24, 0, 0, 30));

function request(
  method: string,
  rawPath: string,
  rawQuery: string,
  headers: Record<string, string>,
): SignedRequest {
  return { method, rawPath, rawQuery, headers: new Map(Object.entries(headers).map(([k, v]) => [k, [v]])) };
}

const getHeaders = {
  host: 'examplebucket.s3.amazonaws.com',
  range: 'bytes=0-9',
  'x-amz-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  'x-amz-date': '20130524T000000Z',
  authorization:
    'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
};

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof S3Error ? err.code : String(err);
  }
  return undefined;
}

describe('header signatures', () => {
  it('accepts the AWS GET example', () => {
    const auth = authenticate(request('GET', '/test.txt', '', getHeaders), creds, at);
    expect(auth.payload).toEqual({ kind: 'sha256', hex: getHeaders['x-amz-content-sha256'] });
  });

  it.each([
    ['a changed header', { range: 'bytes=0-10' }, 'SignatureDoesNotMatch'],
    ['a wrong secret', {}, 'SignatureDoesNotMatch'],
    [
      'another access key',
      { authorization: getHeaders.authorization.replace('AKIAIOSFODNN7EXAMPLE', 'OTHERKEY') },
      'InvalidAccessKeyId',
    ],
    [
      'a malformed header',
      { authorization: 'AWS4-HMAC-SHA256 Credential=x' },
      'AuthorizationHeaderMalformed',
    ],
    ['SigV2', { authorization: 'AWS AKIAIOSFODNN7EXAMPLE:abc' }, 'AccessDenied'],
  ])('rejects %s', (name, change, code) => {
    const secret = name === 'a wrong secret' ? { ...creds, secretKey: 'wrong-secret' } : creds;
    expect(
      codeOf(() => authenticate(request('GET', '/test.txt', '', { ...getHeaders, ...change }), secret, at)),
    ).toBe(code);
  });

  it('rejects a request 16 minutes off', () => {
    const late = new Date(at.getTime() + 16 * 60 * 1000);
    expect(codeOf(() => authenticate(request('GET', '/test.txt', '', getHeaders), creds, late))).toBe(
      'RequestTimeTooSkewed',
    );
  });

  it.each([
    [{ 'x-amz-copy-source': '/other/secret' }, 'x-amz-copy-source'],
    [{ 'x-amz-meta-a': '1', 'x-amz-tagging': 'a=b' }, 'x-amz-meta-a, x-amz-tagging'],
    [{ 'x-amz-server-side-encryption': 'AES256' }, 'x-amz-server-side-encryption'],
  ])('refuses a valid signature with unsigned x-amz-* headers %o', (extra, listed) => {
    let err: unknown;
    try {
      authenticate(request('GET', '/test.txt', '', { ...getHeaders, ...extra }), creds, at);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(S3Error);
    expect(err).toMatchObject({
      code: 'AccessDenied',
      status: 403,
      message: 'There were headers present in the request which were not signed',
      elements: [['HeadersNotSigned', listed]],
    });
  });

  it('lets headers outside x-amz-* stay unsigned', () => {
    const extra = { 'user-agent': 'x', 'x-amzn-trace-id': 'Root=1', 'content-md5': 'x' };
    expect(() =>
      authenticate(request('GET', '/test.txt', '', { ...getHeaders, ...extra }), creds, at),
    ).not.toThrow();
  });

  it('rejects anonymous requests', () => {
    expect(codeOf(() => authenticate(request('GET', '/test.txt', '', { host: 'h' }), creds, at))).toBe(
      'AccessDenied',
    );
  });
});

describe('presigned URLs', () => {
  const query =
    'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404';
  const host = { host: 'examplebucket.s3.amazonaws.com' };

  it('accepts the AWS example within its expiry', () => {
    const auth = authenticate(request('GET', '/test.txt', query, host), creds, at);
    expect(auth).toMatchObject({ presigned: true, payload: { kind: 'unsigned' } });
  });

  it('refuses unsigned x-amz-* headers beside it, tolerating x-amz-content-sha256', () => {
    const copy = { ...host, 'x-amz-copy-source': '/examplebucket/other', 'x-amz-date': '20130524T000000Z' };
    let err: unknown;
    try {
      authenticate(request('GET', '/test.txt', query, copy), creds, at);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({
      code: 'AccessDenied',
      elements: [['HeadersNotSigned', 'x-amz-copy-source, x-amz-date']],
    });
    const sha = { ...host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' };
    expect(authenticate(request('GET', '/test.txt', query, sha), creds, at).presigned).toBe(true);
  });

  it('refuses it once expired', () => {
    const later = new Date(at.getTime() + 86_401_000);
    expect(codeOf(() => authenticate(request('GET', '/test.txt', query, host), creds, later))).toBe(
      'AccessDenied',
    );
  });

  it('refuses a tampered query', () => {
    const tampered = query.replace('X-Amz-Expires=86400', 'X-Amz-Expires=86401');
    expect(codeOf(() => authenticate(request('GET', '/test.txt', tampered, host), creds, at))).toBe(
      'SignatureDoesNotMatch',
    );
  });

  it('refuses expiries over a week', () => {
    const long = query.replace('X-Amz-Expires=86400', 'X-Amz-Expires=604801');
    expect(codeOf(() => authenticate(request('GET', '/test.txt', long, host), creds, at))).toBe(
      'AuthorizationQueryParametersError',
    );
  });
});

describe('streaming chunk signatures', () => {
  const headers = {
    host: 's3.amazonaws.com',
    'x-amz-date': '20130524T000000Z',
    'x-amz-storage-class': 'REDUCED_REDUNDANCY',
    authorization:
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9',
    'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
    'content-encoding': 'aws-chunked',
    'x-amz-decoded-content-length': '66560',
    'content-length': '66824',
  };
  const sigs = [
    'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648',
    '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497',
    'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9',
  ];
  const body = (finalSig = sigs[2]) =>
    Buffer.concat([
      Buffer.from(`10000;chunk-signature=${sigs[0]}\r\n`),
      Buffer.alloc(65536, 'a'),
      Buffer.from(`\r\n400;chunk-signature=${sigs[1]}\r\n`),
      Buffer.alloc(1024, 'a'),
      Buffer.from(`\r\n0;chunk-signature=${finalSig}\r\n\r\n`),
    ]);

  async function decode(bytes: Buffer, pieces: number): Promise<Buffer> {
    const auth = authenticate(request('PUT', '/examplebucket/chunkObject.txt', '', headers), creds, at);
    if (auth.payload.kind !== 'streaming-signed') throw new Error('expected streaming');
    const step = Math.ceil(bytes.length / pieces);
    const source = (async function* () {
      for (let i = 0; i < bytes.length; i += step) yield bytes.subarray(i, i + step);
    })();
    const out: Buffer[] = [];
    for await (const c of decodeAwsChunked(source, auth.payload.chunkSigner, false, new Map())) out.push(c);
    return Buffer.concat(out);
  }

  it('has the documented body length', () => {
    expect(body().length).toBe(66824);
  });

  it.each([1, 7, 1000])('decodes the AWS example split into %i pieces', async (pieces) => {
    const data = await decode(body(), pieces);
    expect(data.equals(Buffer.alloc(66560, 'a'))).toBe(true);
  });

  it('rejects a bad final signature', async () => {
    await expect(decode(body('0'.repeat(64)), 3)).rejects.toMatchObject({ code: 'SignatureDoesNotMatch' });
  });

  it('rejects trailing headers after the last chunk of a body without a signed trailer', async () => {
    const withTrailer = Buffer.concat([
      body().subarray(0, -2),
      Buffer.from('x-amz-checksum-crc32:AAAAAA==\r\n\r\n'),
    ]);
    await expect(decode(withTrailer, 3)).rejects.toMatchObject({ code: 'IncompleteBody' });
  });

  it('rejects a truncated body', async () => {
    await expect(decode(body().subarray(0, 40_000), 3)).rejects.toMatchObject({ code: 'IncompleteBody' });
  });
});

describe('uriEncode', () => {
  it.each([
    ['a b', false, 'a%20b'],
    ['a/b', true, 'a/b'],
    ['a/b', false, 'a%2Fb'],
    ['~._-', false, '~._-'],
    ['é', false, '%C3%A9'],
  ])('%s', (text, keep, out) => {
    expect(uriEncode(text, keep)).toBe(out);
  });
});
