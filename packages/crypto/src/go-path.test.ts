import { describe, expect, it } from 'vitest';
import { goPathClean, goPathJoin } from './go-path.js';

// Cases of Go's own src/path/path_test.go (cleantests, jointests), restated as facts.
const cleanCases: Array<[string, string]> = [
  // already clean
  ['', '.'],
  ['abc', 'abc'],
  ['abc/def', 'abc/def'],
  ['a/b/c', 'a/b/c'],
  ['.', '.'],
  ['..', '..'],
  ['../..', '../..'],
  ['../../abc', '../../abc'],
  ['/abc', '/abc'],
  ['/', '/'],
  // trailing slash removed
  ['abc/', 'abc'],
  ['abc/def/', 'abc/def'],
  ['a/b/c/', 'a/b/c'],
  ['./', '.'],
  ['../', '..'],
  ['../../', '../..'],
  ['/abc/', '/abc'],
  // doubled slashes removed
  ['abc//def//ghi', 'abc/def/ghi'],
  ['//abc', '/abc'],
  ['///abc', '/abc'],
  ['//abc//', '/abc'],
  ['abc//', 'abc'],
  // . elements removed
  ['abc/./def', 'abc/def'],
  ['/./abc/def', '/abc/def'],
  ['abc/.', 'abc'],
  // .. elements removed
  ['abc/def/ghi/../jkl', 'abc/def/jkl'],
  ['abc/def/../ghi/../jkl', 'abc/jkl'],
  ['abc/def/..', 'abc'],
  ['abc/def/../..', '.'],
  ['/abc/def/../..', '/'],
  ['abc/def/../../..', '..'],
  ['/abc/def/../../..', '/'],
  ['abc/def/../../../ghi/jkl/../../../mno', '../../mno'],
  // combinations
  ['abc/./../def', 'def'],
  ['abc//./../def', 'def'],
  ['abc/../../././../def', '../../def'],
];

const joinCases: Array<[string[], string]> = [
  [[], ''],
  [[''], ''],
  [['a'], 'a'],
  [['a', 'b'], 'a/b'],
  [['a', ''], 'a'],
  [['', 'b'], 'b'],
  [['/', 'a'], '/a'],
  [['/', ''], '/'],
  [['a/', 'b'], 'a/b'],
  [['a/', ''], 'a'],
  [['', ''], ''],
];

describe('goPathClean', () => {
  it.each(cleanCases)('Clean(%j) = %j', (input, want) => {
    expect(goPathClean(input)).toBe(want);
    expect(goPathClean(want)).toBe(want); // idempotent, as Go's test checks
  });

  it.each([
    ['.hidden/..dots/...', '.hidden/..dots/...'],
    ['a/.../b', 'a/.../b'],
    ['/..', '/'],
    ['/../a', '/a'],
    ['..a/b', '..a/b'],
    ['a/..b', 'a/..b'],
    ['über//straße/./x', 'über/straße/x'],
    ['😀/../😀', '😀'],
  ])('Clean(%j) = %j (names that only look like dots, non-ASCII)', (input, want) => {
    expect(goPathClean(input)).toBe(want);
  });
});

describe('goPathJoin', () => {
  it.each(joinCases)('Join(%j) = %j', (elems, want) => {
    expect(goPathJoin(...elems)).toBe(want);
  });

  // What MinIO binds object keys to: path.Join(bucket, object).
  it.each([
    ['bucket', 'object', 'bucket/object'],
    ['bucket', 'a//b', 'bucket/a/b'],
    ['bucket', 'dir/', 'bucket/dir'],
    ['bucket', 'x/../y', 'bucket/y'],
    ['bucket', '../escape', 'escape'],
    ['bucket', '/abs', 'bucket/abs'],
    ['bucket', './a/./b', 'bucket/a/b'],
    ['bucket', '', 'bucket'],
  ])('Join(%j, %j) = %j', (bucket, object, want) => {
    expect(goPathJoin(bucket, object)).toBe(want);
  });
});
