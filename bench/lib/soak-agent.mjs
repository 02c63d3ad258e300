// The soak's keep-alive agents: they never hand out a connection the server may already have closed for
// idleness.
//
// A server closes a kept-alive connection that stays idle past its keep-alive timeout (minio says how
// long in `Keep-Alive: timeout=72`; MinIO keeps 30 s). Node's agent learns of the close only when its
// event loop reads the FIN; a client process that is busy — the soak's 64 workers on a loaded machine
// lag by seconds — can hand the dead connection to a new request first, which then fails with a reset
// or "socket hang up" after being sent whole. Real clients retry such a request (the AWS SDKs; Go's
// transport retries a reused connection that failed before any byte came back); the soak retries
// nothing, so that every server failure counts, and avoids the race instead: a connection idle for
// more than half the server's announced timeout (15 s when it announces none) is closed when a request
// would take it, judged by the clock at that moment — Node's own agent only uses the announcement with
// a timer of its own, which a busy event loop runs late. Any other reset still fails the run.
import http from 'node:http';
import https from 'node:https';

/** How long a connection may stay idle when the server announces no keep-alive timeout. */
export const DEFAULT_MAX_IDLE_MS = 15_000;

const idleSince = Symbol('idleSince');
const maxIdle = Symbol('maxIdle');

/** Half the `timeout=` of a `Keep-Alive` answer header, in ms (undefined without one). */
export function maxIdleOf(keepAliveHeader) {
  const seconds = /(?:^|[\s,])timeout=(\d+)/i.exec(keepAliveHeader ?? '')?.[1];
  return seconds === undefined ? undefined : (Number(seconds) * 1000) / 2;
}

function freshAgent(Base) {
  return class FreshAgent extends Base {
    constructor(options) {
      super(options);
      this.on('free', (socket) => {
        socket[idleSince] = performance.now();
      });
    }

    keepSocketAlive(socket) {
      // The answer that just ended is still the socket's (Node reads its Keep-Alive header here too).
      const header = socket._httpMessage?.res?.headers['keep-alive'];
      socket[maxIdle] = maxIdleOf(header) ?? DEFAULT_MAX_IDLE_MS;
      return super.keepSocketAlive(socket);
    }

    addRequest(req, options, ...rest) {
      this.dropStale(performance.now());
      return super.addRequest(req, options, ...rest);
    }

    /** Closes the free connections idle for longer than their server keeps them. */
    dropStale(now) {
      for (const free of Object.values(this.freeSockets)) {
        for (let i = free.length - 1; i >= 0; i--) {
          const socket = free[i];
          if (now - (socket[idleSince] ?? now) <= (socket[maxIdle] ?? DEFAULT_MAX_IDLE_MS)) continue;
          free.splice(i, 1);
          // Out of the free list, Node's own removal on 'close' no longer finds it to count it down.
          this.totalSocketCount = Math.max(0, this.totalSocketCount - 1);
          socket.destroy();
        }
      }
    }
  };
}

/**
 * An http.Agent with keep-alive that never reuses a connection its server may have closed.
 * @type {typeof http.Agent}
 */
export const FreshHttpAgent = freshAgent(http.Agent);
/**
 * The same for https.
 * @type {typeof https.Agent}
 */
export const FreshHttpsAgent = freshAgent(https.Agent);
