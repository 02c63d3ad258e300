// A minimal, strict DER reader: just enough to find the exact bytes of a certificate's
// SubjectPublicKeyInfo without re-encoding anything (KES hashes `RawSubjectPublicKeyInfo`).
import { TlsIdentityError } from './errors.js';

/** One DER element: its tag byte and where its header, content and end lie in the buffer. */
interface Tlv {
  tag: number;
  /** Offset of the tag byte. */
  start: number;
  /** Offset of the first content byte. */
  contentStart: number;
  /** Offset one past the last content byte. */
  end: number;
}

const SEQUENCE = 0x30;
const INTEGER = 0x02;
const BIT_STRING = 0x03;
const VERSION_TAG = 0xa0; // [0] EXPLICIT Version

function malformed(what: string): TlsIdentityError {
  return new TlsIdentityError('x509/malformed', `certificate DER is malformed: ${what}`);
}

/** Reads one element at `offset`; the element must end at or before `limit`. */
function readTlv(buf: Uint8Array, offset: number, limit: number): Tlv {
  if (offset + 2 > limit) throw malformed('truncated element header');
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw malformed('multi-byte tags are not expected here');
  let pos = offset + 1;
  const first = buf[pos++]!;
  let length: number;
  if (first < 0x80) {
    length = first;
  } else if (first === 0x80) {
    throw malformed('indefinite length is not DER');
  } else {
    const n = first & 0x7f;
    if (n > 4) throw malformed('length field too large');
    if (pos + n > limit) throw malformed('truncated length');
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + buf[pos++]!;
    if (length < 0x80 || buf[pos - n] === 0) throw malformed('non-minimal length encoding');
  }
  const end = pos + length;
  if (end > limit) throw malformed('element runs past its container');
  return { tag, start: offset, contentStart: pos, end };
}

function expect(tlv: Tlv, tag: number, what: string): Tlv {
  if (tlv.tag !== tag) throw malformed(`expected ${what}`);
  return tlv;
}

/**
 * Returns the exact DER bytes (a view into `der`) of the SubjectPublicKeyInfo of an X.509
 * certificate: Certificate → tbsCertificate → [version] serialNumber signature issuer validity
 * subject subjectPublicKeyInfo. Throws `x509/malformed` when the structure is not a DER certificate
 * or has trailing bytes.
 */
export function subjectPublicKeyInfoOf(der: Uint8Array): Uint8Array {
  const cert = expect(readTlv(der, 0, der.length), SEQUENCE, 'Certificate SEQUENCE');
  if (cert.end !== der.length) throw malformed('trailing bytes after Certificate');
  const tbs = expect(readTlv(der, cert.contentStart, cert.end), SEQUENCE, 'tbsCertificate SEQUENCE');
  let el = readTlv(der, tbs.contentStart, tbs.end);
  if (el.tag === VERSION_TAG) el = readTlv(der, el.end, tbs.end);
  expect(el, INTEGER, 'serialNumber INTEGER');
  for (const what of ['signature AlgorithmIdentifier', 'issuer Name', 'validity', 'subject Name']) {
    el = expect(readTlv(der, el.end, tbs.end), SEQUENCE, what);
  }
  const spki = expect(readTlv(der, el.end, tbs.end), SEQUENCE, 'subjectPublicKeyInfo SEQUENCE');
  return der.subarray(spki.start, spki.end);
}

const EXTENSIONS_TAG = 0xa3; // [3] EXPLICIT Extensions
const OID = 0x06;
const BOOLEAN = 0x01;
const OCTET_STRING = 0x04;
const BASIC_CONSTRAINTS_OID = Buffer.from([0x55, 0x1d, 0x13]); // 2.5.29.19

/**
 * Tells whether an X.509 certificate's basicConstraints extension says `cA: TRUE` — Go's
 * `x509.Certificate.IsCA`, which KES uses to skip CA certificates in a client's chain. A certificate
 * without basicConstraints is not a CA here (OpenSSL would also count v1 roots and certSign-only key
 * usage; Go and KES do not). Throws `x509/malformed` for a broken structure.
 */
export function isCaCertificateDer(der: Uint8Array): boolean {
  const cert = expect(readTlv(der, 0, der.length), SEQUENCE, 'Certificate SEQUENCE');
  const tbs = expect(readTlv(der, cert.contentStart, cert.end), SEQUENCE, 'tbsCertificate SEQUENCE');
  for (let pos = tbs.contentStart; pos < tbs.end; ) {
    const el = readTlv(der, pos, tbs.end);
    pos = el.end;
    if (el.tag !== EXTENSIONS_TAG) continue;
    const list = expect(readTlv(der, el.contentStart, el.end), SEQUENCE, 'Extensions SEQUENCE');
    for (let at = list.contentStart; at < list.end; ) {
      const ext = expect(readTlv(der, at, list.end), SEQUENCE, 'Extension SEQUENCE');
      at = ext.end;
      const oid = expect(readTlv(der, ext.contentStart, ext.end), OID, 'extnID');
      if (!BASIC_CONSTRAINTS_OID.equals(der.subarray(oid.contentStart, oid.end))) continue;
      let next = readTlv(der, oid.end, ext.end);
      if (next.tag === BOOLEAN) next = readTlv(der, next.end, ext.end); // critical
      const value = expect(next, OCTET_STRING, 'extnValue OCTET STRING');
      const bc = expect(readTlv(der, value.contentStart, value.end), SEQUENCE, 'BasicConstraints SEQUENCE');
      if (bc.contentStart === bc.end) return false; // cA DEFAULT FALSE
      const first = readTlv(der, bc.contentStart, bc.end);
      return first.tag === BOOLEAN && first.end - first.contentStart === 1 && der[first.contentStart] !== 0;
    }
    return false;
  }
  return false;
}

/**
 * Returns the subjectPublicKey BIT STRING's key bytes (without the unused-bits byte) from a DER
 * SubjectPublicKeyInfo; this is what RFC 5280 §4.2.1.2 method (1) hashes for a key identifier.
 */
export function subjectPublicKeyBits(spki: Uint8Array): Uint8Array {
  const seq = expect(readTlv(spki, 0, spki.length), SEQUENCE, 'SubjectPublicKeyInfo SEQUENCE');
  const alg = expect(readTlv(spki, seq.contentStart, seq.end), SEQUENCE, 'AlgorithmIdentifier');
  const bits = expect(readTlv(spki, alg.end, seq.end), BIT_STRING, 'subjectPublicKey BIT STRING');
  if (bits.end - bits.contentStart < 1) throw malformed('empty subjectPublicKey');
  return spki.subarray(bits.contentStart + 1, bits.end);
}
