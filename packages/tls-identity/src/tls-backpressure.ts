// HTTP/1.1 servers over TLS, made to honour their own backpressure pause (minio, kes and vault use it).
//
// When a request arrives on a keep-alive connection while the previous response still fills the
// socket's write buffer, Node's HTTP server pauses the socket and its parser until the buffer drains.
// Over TLS (Node 20) the parser reads the TLS stream natively, and one network read can decrypt into
// several cleartext records that are all handed to the parser — the ones after the pause hit a paused
// parser, which fails with HPE_PAUSED; the server then destroys the connection without an answer.
// Clients see a reset with nothing read: a request fully sent, no response, no log line (the soak saw
// it on PutObject reusing a connection a few ms after a large GET, about 1 in 8,000 operations).
//
// A 'data' listener on the socket makes Node's HTTP server take the stream path for it: the parser is
// fed by 'data' events, and a paused stream buffers further records instead of delivering them, so the
// request is parsed once the previous response has drained. Plain HTTP is left alone: there one read
// is one chunk, and a pause stops the next read.
import type { TLSSocket, Server as TlsServer } from 'node:tls';

/**
 * Makes every TLS connection of `server` (an https server, or a TLS server whose sockets an HTTP
 * server parses) feed its HTTP parser through the socket's stream. Register it after the HTTP
 * server's own 'secureConnection' listener, which attaches the parser.
 */
export function parseTlsThroughStream(server: TlsServer): void {
  server.on('secureConnection', parseThroughStream);
}

/**
 * The same for one socket an HTTP server already parses (a server that hands TLS sockets to an
 * HTTP server through its 'connection' event). Safe on any socket; a no-op cost on plain TCP.
 */
export function parseThroughStream(socket: TLSSocket): void {
  socket.on('data', ignore);
}

function ignore(): void {}
