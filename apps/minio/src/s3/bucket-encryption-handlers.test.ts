import { describe, expect, it } from 'vitest';
import { s3ErrorOf as code } from '../../test/units.js';
import { parseBucketEncryption, renderBucketEncryption } from './bucket-encryption-handlers.js';

describe('bucket encryption XML', () => {
  const xml = (inner: string) =>
    Buffer.from(
      `<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault>${inner}</ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>`,
    );
  it('round-trips', () => {
    const c = parseBucketEncryption(
      xml('<SSEAlgorithm>aws:kms</SSEAlgorithm><KMSMasterKeyID>arn:aws:kms:k</KMSMasterKeyID>'),
    );
    expect(c).toEqual({ algorithm: 'aws:kms', kmsKeyId: 'arn:aws:kms:k' });
    expect(renderBucketEncryption(c)).toContain('<KMSMasterKeyID>arn:aws:kms:k</KMSMasterKeyID>');
    expect(parseBucketEncryption(xml('<SSEAlgorithm>AES256</SSEAlgorithm>'))).toEqual({
      algorithm: 'AES256',
    });
  });
  it.each([
    '<SSEAlgorithm>DES</SSEAlgorithm>',
    '<SSEAlgorithm>AES256</SSEAlgorithm><KMSMasterKeyID>k</KMSMasterKeyID>',
    '<SSEAlgorithm>aws:kms</SSEAlgorithm>',
    '<SSEAlgorithm>aws:kms</SSEAlgorithm><KMSMasterKeyID> k</KMSMasterKeyID>',
  ])('refuses %s with MalformedXML', (inner) => {
    expect(code(() => parseBucketEncryption(xml(inner)))).toEqual(['MalformedXML', 400]);
  });
});
