// Request XML parsing and response escaping.
import { describe, expect, it } from 'vitest';
import { S3Error } from '../errors.js';
import { childList, childText, escapeXml, parseRequestXml } from './xml.js';

describe('parseRequestXml', () => {
  it('decodes XML entities and numeric character references in keys', () => {
    const root = parseRequestXml(
      Buffer.from(
        '<Delete><Object><Key>a&#xD;b&#13;&amp;&lt;&#x1F600; </Key></Object><Quiet>true</Quiet></Delete>',
      ),
      'Delete',
    );
    expect(childList(root, 'Object').map((o) => childText(o, 'Key'))).toEqual(['a\rb\r&<😀 ']);
    expect(childText(root, 'Quiet')).toBe('true');
  });

  it.each([
    ['not XML', 'hello'],
    ['unclosed', '<Delete><Object>'],
    ['a DOCTYPE', '<!DOCTYPE d><Delete/>'],
    ['an HTML entity', '<Delete><Object><Key>&nbsp;</Key></Object></Delete>'],
    ['a bare ampersand', '<Delete><Object><Key>a & b</Key></Object></Delete>'],
    ['another root', '<Other/>'],
    ['empty', '   '],
  ])('refuses %s as MalformedXML', (_name, text) => {
    expect(() => parseRequestXml(Buffer.from(text), 'Delete')).toThrow(S3Error);
    try {
      parseRequestXml(Buffer.from(text), 'Delete');
    } catch (err) {
      expect((err as S3Error).code).toBe('MalformedXML');
    }
  });
});

describe('escapeXml', () => {
  it.each([
    ['a&b<c>"d\'', 'a&amp;b&lt;c&gt;&quot;d&apos;'],
    ['line\rbreak', 'line&#xD;break'],
    ['tab\tok', 'tab\tok'],
    ['\u0001', '&#x1;'],
  ])('%j', (text, out) => {
    expect(escapeXml(text)).toBe(out);
  });
});
