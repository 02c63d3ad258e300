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

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * The first of `count` consecutive TCP ports all free on 127.0.0.1 right now, for servers that take
 * a block (an HA Vault node's cluster port is its API port + 1). Picked below Linux's ephemeral range
 * (32768 and up), where the kernel also hands out the local ports of outgoing connections, so no
 * connection of a parallel test takes one of them before the servers bind.
 */
export async function freePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * (32_000 - 20_000 - count));
    let free = true;
    for (let p = base; p < base + count && free; p++) free = await bindable(p);
    if (free) return base;
  }
  throw new Error(`no ${count} consecutive free ports on 127.0.0.1 between 20000 and 32000`);
}
