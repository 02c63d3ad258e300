// Answers that come before the request body is read: `Expect: 100-continue` and what becomes of a body
// the handler never read (docs/s3.md#early-answers).
//
// Left alone, Node writes `100 Continue` as soon as the request headers arrive, so a client that waits
// for it sends its whole body even when the handler refuses the request at once (bad signature, missing
// bucket, bad SSE-C key, KMS error…). The answer then goes out while megabytes are still arriving, the
// connection closes with them unread, and over TLS the client sees a reset instead of the S3 error.
// Here, as in MinIO (Go's net/http), `100 Continue` is written only when the handler first reads the
// body; a request refused before that is answered without its body ever being sent.
//
// A body that did arrive but was not read (a client that did not wait) is drained when it is small
// (at most MAX_UNREAD_DRAIN, Go's limit), keeping the connection. Otherwise the answer says
// `Connection: close`, the server half-closes after it and waits a bounded time (reading and dropping a
// bounded amount) before it closes: the client reads the answer before any reset.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** Unread body bytes drained to keep a connection (Go's maxPostHandlerReadBytes). */
export const MAX_UNREAD_DRAIN = 256 * 1024;
/** After a closing answer: bytes still read and dropped, and for how long, before the socket closes. */
export const LINGER_BYTES = 256 * 1024;
export const LINGER_MS = 1000;

/** Requests whose client waits for `100 Continue` that has not been written yet. */
const awaitingContinue = new WeakSet<IncomingMessage>();

/**
 * Takes over `Expect: 100-continue` on `server` and the fate of unread bodies, for every request.
 * Call it before the app's own 'request' listener runs (it prepends its own).
 */
export function deferContinue(server: Server): void {
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    awaitingContinue.add(req);
    continueOnFirstRead(req, res);
    server.emit('request', req, res);
  });
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    closeOnUnreadBody(req, res);
  });
}

// The body is pulled through Readable#_read whoever reads it (an iterator, 'data', pipe): the first
// pull writes the 100 the client waits for. Once the answer has started it is too late for a 100.
function continueOnFirstRead(req: IncomingMessage, res: ServerResponse): void {
  const read = req._read;
  req._read = function firstRead(this: IncomingMessage, size: number) {
    req._read = read;
    if (awaitingContinue.delete(req) && !res.headersSent && !res.writableEnded) res.writeContinue();
    return read.call(this, size);
  };
}

// Decided when the answer's head is written (every path goes through writeHead, explicit or implicit).
function closeOnUnreadBody(req: IncomingMessage, res: ServerResponse): void {
  const writeHead = res.writeHead;
  res.writeHead = function decideKeepAlive(this: ServerResponse, ...args: unknown[]) {
    res.writeHead = writeHead;
    if (!req.complete) {
      if (mustClose(req)) {
        this.setHeader('connection', 'close');
        lingerOnClose(req.socket);
      } else {
        this.once('finish', () => drainRest(req));
      }
    }
    return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
  } as typeof res.writeHead;
}

// Node's server drains an unread body after the answer only when nobody started reading it; a handler
// that read part of it and failed (a bad chunk signature, a bad digest) leaves the rest paused, and the
// kept-alive connection would never parse its next request. Read and drop the (small) rest.
function drainRest(req: IncomingMessage): void {
  if (req.complete || req.destroyed) return;
  req.removeAllListeners('readable');
  req.removeAllListeners('data');
  req.resume();
}

// A client still waiting for 100 has sent no body and may never send it: what follows on the connection
// could be body or the next request, so it must close. A body of unknown or large size is not worth
// reading to keep the connection; a small one Node's server drains after the answer.
function mustClose(req: IncomingMessage): boolean {
  if (awaitingContinue.has(req)) return true;
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const length = req.headers['content-length'];
  return length === undefined || !/^\d+$/.test(length) || Number(length) > MAX_UNREAD_DRAIN;
}

// Node's server ends a `Connection: close` answer with socket.destroySoon(): FIN, then destroy as soon
// as the answer is flushed, with the client's body still arriving — the kernel then resets the
// connection, and a client still writing may see the reset before it reads the answer. Instead, as Go's
// closeWriteAndWait does: half-close, give the client LINGER_MS to read the answer, and only then close.
// Up to LINGER_BYTES of what still arrives are read and dropped (a short remainder then ends cleanly);
// after that reading stops, so a client with more to send is held back by TCP rather than reset.
function lingerOnClose(socket: Socket): void {
  socket.destroySoon = function lingeringClose(this: Socket) {
    const timer = setTimeout(() => this.destroy(), LINGER_MS);
    timer.unref();
    this.once('close', () => clearTimeout(timer));
    let left = LINGER_BYTES;
    this.on('data', (chunk: Buffer) => {
      left -= chunk.length;
      if (left <= 0) this.pause();
    });
    this.once('end', () => this.destroy());
    this.end();
  };
}
