// The S3 request statistics behind minio_s3_requests_* and minio_s3_traffic_* (docs/observability.md):
// plain counters updated once per request as its answer ends, read by the metrics collectors at scrape
// time. Per request this costs a listener on the response's `close`, a wrap of its writeHead (the
// time to first byte), a WeakMap look-up and a few increments; nothing is formatted until Prometheus
// asks.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { requestInfoOf } from '../http/request-context.js';

/** MinIO's time-to-first-byte buckets, in seconds. */
export const TTFB_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

/** Counters of one S3 API (PutObject, GetObject, …) since the start. */
export interface ApiCounts {
  total: number;
  /** 4xx and 5xx answers; `errors4xx` + `errors5xx`. */
  errors: number;
  errors4xx: number;
  errors5xx: number;
  /** Requests the client left before the answer was complete (MinIO's 499). */
  canceled: number;
  /** Requests by time to first byte: `ttfb[i]` counts those at or below TTFB_BUCKETS[i], not cumulative. */
  ttfb: number[];
  /** Requests slower than the last bucket. */
  ttfbOver: number;
}

function emptyCounts(): ApiCounts {
  return {
    total: 0,
    errors: 0,
    errors4xx: 0,
    errors5xx: 0,
    canceled: 0,
    ttfb: TTFB_BUCKETS.map(() => 0),
    ttfbOver: 0,
  };
}

/**
 * What the server answered, per S3 API. A request counts once its S3 operation is known (the router
 * names it in the request's context, http/request-context.ts) and its answer has ended; admin,
 * health and metrics requests are not S3 requests and do not count, as in MinIO.
 */
export class S3Stats {
  readonly #apis = new Map<string, ApiCounts>();
  /** Requests whose answer has not ended; grouped by API when read. */
  readonly #inflight = new Set<IncomingMessage>();
  /** Each connection's byte counts when its last answer ended. */
  readonly #seen = new WeakMap<Socket, { read: number; written: number }>();
  /** Bytes read from and written to the connections of S3 requests while they were served. */
  received = 0;
  sent = 0;

  /** Observes every request of `server` (a raw `request` listener: no fastify hook in the way). */
  observe(server: Server): void {
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.#track(req, res));
  }

  #track(req: IncomingMessage, res: ServerResponse): void {
    const started = performance.now();
    const socket = req.socket;
    let firstByte = 0;
    const writeHead = res.writeHead;
    // The headers leave with writeHead (fastify's send and the streaming handlers both call it).
    res.writeHead = function (this: ServerResponse, ...args: Parameters<ServerResponse['writeHead']>) {
      firstByte = performance.now();
      res.writeHead = writeHead;
      return writeHead.apply(this, args);
    } as ServerResponse['writeHead'];
    this.#inflight.add(req);
    res.once('close', () => {
      this.#inflight.delete(req);
      // The connection's bytes since the previous answer on it ended: this request's, headers included
      // (a request arrives whole before its handler runs, so no count taken at its start would do).
      const seen = this.#seen.get(socket);
      const read = socket.bytesRead - (seen?.read ?? 0);
      const written = socket.bytesWritten - (seen?.written ?? 0);
      if (seen) {
        seen.read = socket.bytesRead;
        seen.written = socket.bytesWritten;
      } else this.#seen.set(socket, { read: socket.bytesRead, written: socket.bytesWritten });
      const api = requestInfoOf(req)?.api;
      if (api === undefined) return;
      let counts = this.#apis.get(api);
      if (!counts) {
        counts = emptyCounts();
        this.#apis.set(api, counts);
      }
      counts.total++;
      const code = res.statusCode;
      if (!res.writableFinished) counts.canceled++;
      else if (code >= 500) {
        counts.errors++;
        counts.errors5xx++;
      } else if (code >= 400) {
        counts.errors++;
        counts.errors4xx++;
      }
      const seconds = ((firstByte || performance.now()) - started) / 1000;
      const bucket = TTFB_BUCKETS.findIndex((le) => seconds <= le);
      if (bucket < 0) counts.ttfbOver++;
      else counts.ttfb[bucket]!++;
      this.received += read;
      this.sent += written;
    });
  }

  /** Counters of each API seen so far (live objects: read, do not keep). */
  apis(): ReadonlyMap<string, Readonly<ApiCounts>> {
    return this.#apis;
  }

  /** Requests of each API whose answer has not ended. */
  inflight(): Map<string, number> {
    const out = new Map<string, number>();
    for (const req of this.#inflight) {
      const api = requestInfoOf(req)?.api;
      if (api !== undefined) out.set(api, (out.get(api) ?? 0) + 1);
    }
    return out;
  }
}
