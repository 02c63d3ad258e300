import { describe, expect, it } from 'vitest';
import { goPathMatch, isGoPathPatternValid } from './go-path-match.js';

// Go's own table for path.Match (src/path/match_test.go): pattern, name, matched, bad pattern.
const goVectors: Array<[string, string, boolean, boolean]> = [
  ['abc', 'abc', true, false],
  ['*', 'abc', true, false],
  ['*c', 'abc', true, false],
  ['a*', 'a', true, false],
  ['a*', 'abc', true, false],
  ['a*', 'ab/c', false, false],
  ['a*/b', 'abc/b', true, false],
  ['a*/b', 'a/c/b', false, false],
  ['a*b*c*d*e*/f', 'axbxcxdxe/f', true, false],
  ['a*b*c*d*e*/f', 'axbxcxdxexxx/f', true, false],
  ['a*b*c*d*e*/f', 'axbxcxdxe/xxx/f', false, false],
  ['a*b*c*d*e*/f', 'axbxcxdxexxx/fff', false, false],
  ['a*b?c*x', 'abxbbxdbxebxczzx', true, false],
  ['a*b?c*x', 'abxbbxdbxebxczzy', false, false],
  ['ab[c]', 'abc', true, false],
  ['ab[b-d]', 'abc', true, false],
  ['ab[e-g]', 'abc', false, false],
  ['ab[^c]', 'abc', false, false],
  ['ab[^b-d]', 'abc', false, false],
  ['ab[^e-g]', 'abc', true, false],
  ['a\\*b', 'a*b', true, false],
  ['a\\*b', 'ab', false, false],
  ['a?b', 'a☺b', true, false],
  ['a[^a]b', 'a☺b', true, false],
  ['a???b', 'a☺b', false, false],
  ['a[^a][^a][^a]b', 'a☺b', false, false],
  ['[a-ζ]*', 'α', true, false],
  ['*[a-ζ]', 'A', false, false],
  ['a?b', 'a/b', false, false],
  ['a*b', 'a/b', false, false],
  ['[\\]a]', ']', true, false],
  ['[\\-]', '-', true, false],
  ['[x\\-]', 'x', true, false],
  ['[x\\-]', '-', true, false],
  ['[x\\-]', 'z', false, false],
  ['[\\-x]', 'x', true, false],
  ['[\\-x]', '-', true, false],
  ['[\\-x]', 'a', false, false],
  ['[]a]', ']', false, true],
  ['[-]', '-', false, true],
  ['[x-]', 'x', false, true],
  ['[x-]', '-', false, true],
  ['[x-]', 'z', false, true],
  ['[-x]', 'x', false, true],
  ['[-x]', '-', false, true],
  ['[-x]', 'a', false, true],
  ['\\', 'a', false, true],
  ['[a-b-c]', 'a', false, true],
  ['[', 'a', false, true],
  ['[^', 'a', false, true],
  ['[^bc', 'a', false, true],
  ['a[', 'a', false, true],
  ['a[', 'ab', false, true],
  ['a[', 'x', false, true],
  ['a/b[', 'x', false, true],
  ['*x', 'xxx', true, false],
];

describe('goPathMatch', () => {
  it.each(goVectors)('Match(%j, %j) = %j, bad pattern %j', (pattern, name, matched, badPattern) => {
    expect(goPathMatch(pattern, name)).toEqual({ matched, badPattern });
  });

  it.each([
    ['', '', true],
    ['', 'a', false],
    ['a', '', false],
    ['*', '', true],
    ['**', 'abc', true],
    ['a*', 'a/', false],
    ['/v1/key/*', '/v1/key/create', true],
    ['/v1/key/*/*', '/v1/key/create/x', true],
    ['[ab]?', 'a/', false],
    ['[/]', '/', true],
    ['\\[x]', '[x]', true],
    ['é?', 'éé', true],
    ['x[😀-😂]', 'x😁', true],
  ])('Match(%j, %j) = %j (edges)', (pattern, name, matched) => {
    expect(goPathMatch(pattern, name)).toEqual({ matched, badPattern: false });
  });

  it('reports a malformed pattern even after a mismatch, as Go does', () => {
    expect(goPathMatch('x*[', 'abc')).toEqual({ matched: false, badPattern: true });
    expect(goPathMatch('b*a[', 'ab')).toEqual({ matched: false, badPattern: true });
  });

  it.each([
    ['/v1/key/create/minio-*', true],
    ['/v1/key/[a-z]*', true],
    ['[', false],
    ['a\\', false],
    ['[z-]', false],
    ['[]', false],
    ['a[^]', false],
  ])('isGoPathPatternValid(%j) = %j', (pattern, valid) => {
    expect(isGoPathPatternValid(pattern)).toBe(valid);
  });
});
