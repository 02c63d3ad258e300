// Check values of the CRC catalogue ("123456789") and the digests S3 uses.
import { describe, expect, it } from 'vitest';
import { type ChecksumAlgorithm, createChecksummer, isValidChecksumValue } from './checksum.js';

describe('checksums of "123456789"', () => {
  it.each([
    ['CRC32', 'cbf43926'],
    ['CRC32C', 'e3069283'],
    ['CRC64NVME', 'ae8b14860a799888'],
    ['SHA1', 'f7c3bc1d808e04732adf679965ccc34ca7ae3441'],
  ] as Array<[ChecksumAlgorithm, string]>)('%s', (algorithm, hex) => {
    const whole = createChecksummer(algorithm);
    whole.update(Buffer.from('123456789'));
    expect(Buffer.from(whole.digest(), 'base64').toString('hex')).toBe(hex);
    const split = createChecksummer(algorithm);
    for (const piece of ['1', '2345', '6789']) split.update(Buffer.from(piece));
    expect(split.digest()).toBe(whole.digest());
    expect(isValidChecksumValue(algorithm, whole.digest())).toBe(true);
  });

  it('rejects values of the wrong length', () => {
    expect(isValidChecksumValue('CRC32', 'AAAAAAAA')).toBe(false);
    expect(isValidChecksumValue('CRC32', 'not base64!')).toBe(false);
  });
});
