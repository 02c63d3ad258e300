// What an HTTP/1.1 header value may hold on the wire, for values that come from elsewhere than a
// request header (a query string, stored metadata) and are to be sent back in an answer.

/**
 * True when `value` can go out as an HTTP header value: tab, visible ASCII and obs-text bytes (0x80–0xff)
 * only. Node refuses anything else when the answer's head is written.
 */
export function isHeaderValue(value: string): boolean {
  return !/[^\t\x20-\x7e\x80-\xff]/.test(value);
}
