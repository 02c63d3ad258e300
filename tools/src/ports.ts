// Loopback ports for the servers tests and benchmarks start: the kernel's pick, and a probe.
import { connect, createServer } from 'node:net';

/**
 * A TCP port free on 127.0.0.1 right now (the kernel's pick). Only free until another process binds
 * it: pick it just before the server that uses it starts, never fixed ports (parallel test files).
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Whether something accepts TCP connections on 127.0.0.1:`port` now. Never rejects. */
export function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: '127.0.0.1', port });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}
