// The signer against the worked examples of AWS's SigV4 documentation for S3 (the example
// credentials, 24 May 2013): a header-signed GET, a presigned GET, and an aws-chunked PUT.
import { describe, expect, it } from 'vitest';
import { presignPath, sha256Hex, signChunkedUpload, signHeaders } from './sigv4.js';

const creds = { accessKey: 'AKIAIOSFODNN7EXAMPLE', secretKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const date = new Date('2013-05-24T00:00:00Z');

describe('sigv4', () => {
  it('signs a GET in the Authorization header as the documented example', () => {
    const headers = signHeaders('examplebucket.s3.amazonaws.com', creds, {
      method: 'GET',
      path: '/test.txt',
      headers: { Range: 'bytes=0-9' },
      payloadHash: sha256Hex(''),
      date,
    });
    expect(headers['authorization']).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, ' +
        'SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, ' +
        'Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    );
  });

  it('canonicalises a header value as SigV4 says: trimmed, runs of spaces made one', () => {
    const sign = (value: string) =>
      signHeaders('examplebucket.s3.amazonaws.com', creds, {
        method: 'PUT',
        path: '/test.txt',
        headers: { 'Content-Encoding': value },
        payloadHash: sha256Hex(''),
        date,
      })['authorization'];
    expect(sign('  gzip ,   br ')).toBe(sign('gzip , br'));
    expect(sign('gzip , br')).not.toBe(sign('gzip, br'));
  });

  it('presigns a GET as the documented example', () => {
    const url = presignPath('examplebucket.s3.amazonaws.com', creds, {
      method: 'GET',
      path: '/test.txt',
      expires: 86_400,
      date,
    });
    expect(url).toBe(
      '/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256' +
        '&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request' +
        '&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host' +
        '&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404',
    );
  });

  it('chains the chunk signatures of an aws-chunked PUT as the documented example', () => {
    const { headers, body } = signChunkedUpload('s3.amazonaws.com', creds, {
      path: '/examplebucket/chunkObject.txt',
      data: Buffer.alloc(66_560, 'a'),
      chunkSize: 65_536,
      headers: { 'content-length': '66824', 'x-amz-storage-class': 'REDUCED_REDUNDANCY' },
      date,
    });
    expect(headers['authorization']).toMatch(
      /Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9$/,
    );
    expect(headers['content-length']).toBe('66824');
    const signatures = [...body.toString('latin1').matchAll(/chunk-signature=([0-9a-f]{64})/g)].map(
      (m) => m[1],
    );
    expect(signatures).toEqual([
      'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648',
      '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497',
      'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9',
    ]);
  });

  it('a tampered chunk or a wrong secret changes the signature', () => {
    const base = { path: '/b/k', data: Buffer.from('x'.repeat(10)), chunkSize: 4, date };
    const good = signChunkedUpload('h', creds, base).body.toString();
    expect(signChunkedUpload('h', creds, { ...base, tamperChunk: 1 }).body.toString()).not.toBe(good);
    const a = signHeaders('h', creds, { method: 'GET', path: '/', date })['authorization'];
    const b = signHeaders('h', { ...creds, secretKey: 'other' }, { method: 'GET', path: '/', date })[
      'authorization'
    ];
    expect(a).not.toBe(b);
  });
});
