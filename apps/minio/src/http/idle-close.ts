// Closing a kept-alive connection for idleness without resetting a request that already reached it.
//
// Node's server arms a timer when it finishes an answer on a kept-alive connection (the keep-alive
// timeout plus one second) and destroys the connection when it fires. Timers run at the start of an
// event-loop turn, before the turn reads the sockets: when the process was busy across the deadline (a
// long synchronous stretch, a starved CPU), the timer fired first although the client's next request
// had arrived before it, still unread in the kernel — and closing a socket with unread data resets the
// connection. The client saw a reset with its request fully sent and nothing read, and nothing was
// logged.
//
// Here the server decides after that turn's reads instead: a connection that received anything since
// its timer fired is serving a request (its answer arms the timer again); one that received nothing is
// closed, as Node would have.
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Takes over the closing of timed-out connections of `server` (a 'timeout' listener on the server
 * stops Node from destroying them itself). The object store sets no socket timeout but Node's
 * keep-alive one, so every timeout handled here is an idle connection's, or a request stalled since.
 */
export function closeIdleAfterReads(server: Server): void {
  server.on('timeout', (socket: Socket) => {
    const read = socket.bytesRead;
    setImmediate(() => {
      if (!socket.destroyed && socket.bytesRead === read) socket.destroy();
    });
  });
}
