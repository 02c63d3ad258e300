// Response XML is built by hand (it is small and fixed-shape) with strict escaping; request XML is
// parsed with fast-xml-parser after a well-formedness check.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { S3Error } from '../errors.js';

/** The S3 XML namespace every response root carries. */
export const S3_NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/';

const escapes: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/**
 * Escapes text for element content. Control characters that XML 1.0 cannot carry literally are written
 * as numeric references, as AWS does for keys like "a\rb".
 */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']|[\u0000-\u0008\u000b\u000c\u000d\u000e-\u001f\u007f]/g, (ch) => {
    return escapes[ch] ?? `&#x${ch.charCodeAt(0).toString(16).toUpperCase()};`;
  });
}

type Content = string | number | boolean | Array<string>;

/** `<name>content</name>`; string content is escaped, arrays are pre-rendered children. */
export function xmlElement(name: string, content: Content, attrs = ''): string {
  const inner = Array.isArray(content) ? content.join('') : escapeXml(String(content));
  return `<${name}${attrs}>${inner}</${name}>`;
}

/** A root element in the S3 namespace with the XML declaration. */
export function xmlRoot(name: string, children: string[]): string {
  return xmlDocument(xmlElement(name, children, ` xmlns="${S3_NAMESPACE}"`));
}

/** Prefixes the XML declaration. */
export function xmlDocument(body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
}

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  trimValues: false,
  processEntities: true,
  // Decodes numeric character references (&#xD; in keys); named ones beyond XML's five are refused first.
  htmlEntities: true,
  isArray: (name) => name === 'Part' || name === 'Object',
});

/** A parsed XML node: text, or children by element name. */
export type XmlNode = string | { [name: string]: XmlNode | XmlNode[] | undefined };

/**
 * Parses a request body into a tree rooted at `rootName`; throws MalformedXML for anything that is not
 * well-formed, has a DOCTYPE (entity expansion), or has another root.
 */
export function parseRequestXml(body: Buffer, rootName: string): Record<string, XmlNode | XmlNode[]> {
  const text = body.toString('utf8');
  if (
    text.trim() === '' ||
    /<!DOCTYPE/i.test(text) ||
    /&(?!(?:amp|lt|gt|quot|apos|#\d{1,7}|#x[0-9a-fA-F]{1,6});)/.test(text) ||
    XMLValidator.validate(text) !== true
  ) {
    throw new S3Error('MalformedXML');
  }
  let tree: Record<string, unknown>;
  try {
    tree = parser.parse(text) as Record<string, unknown>;
  } catch {
    throw new S3Error('MalformedXML');
  }
  const root = tree[rootName];
  if (root === '' || root === undefined) {
    if (rootName in tree) return {};
    throw new S3Error('MalformedXML');
  }
  if (typeof root !== 'object' || root === null || Array.isArray(root)) throw new S3Error('MalformedXML');
  return root as Record<string, XmlNode | XmlNode[]>;
}

/** The text of a child element, or undefined when absent; elements with children are MalformedXML. */
export function childText(node: XmlNode | XmlNode[] | undefined, name: string): string | undefined {
  if (node === undefined || typeof node === 'string' || Array.isArray(node)) return undefined;
  const child = node[name];
  if (child === undefined) return undefined;
  if (typeof child === 'string') return child;
  if (Array.isArray(child)) throw new S3Error('MalformedXML');
  // An element with only whitespace text and no children parses as an object with '#text'.
  const keys = Object.keys(child);
  if (keys.length === 0) return '';
  if (keys.every((k) => k === '#text')) return String(child['#text'] ?? '');
  throw new S3Error('MalformedXML');
}

/** Children named `name` as an array (possibly empty). */
export function childList(node: XmlNode | XmlNode[] | undefined, name: string): XmlNode[] {
  if (node === undefined || typeof node === 'string' || Array.isArray(node)) return [];
  const child = node[name];
  if (child === undefined) return [];
  return Array.isArray(child) ? child : [child];
}
