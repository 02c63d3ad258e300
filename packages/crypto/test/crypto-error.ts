// Test helper shared by the unit tests (not exported from the package).
import { expect } from 'vitest';
import { CryptoError } from '../src/errors.js';

/** Runs fn, asserts it throws a CryptoError and returns that error's [code, message]. */
export function codeAndMessage(fn: () => unknown): [string, string] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CryptoError);
    return [(err as CryptoError).code, (err as CryptoError).message];
  }
  throw new Error('expected a CryptoError');
}
