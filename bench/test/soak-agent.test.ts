// The soak's keep-alive agent: a connection idle past half the server's announced keep-alive timeout is
// never handed to a request, however late the client's event loop runs, while a recently used one is.
// The server here is a stock Node server, which (unlike minio) resets a request that reaches a
// connection whose idle timer is already due — the reset a busy soak client used to see.
import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_IDLE_MS, FreshHttpAgent, maxIdleOf } from '../lib/soak-agent.mjs';

/** The server's keep-alive timeout: it announces `timeout=2` and closes after 3 s (Node adds 1 s). */
const KEEP_ALIVE_MS = 2000;

function spinUntil(at: number): void {
  while (performance.now() < at) {
    // The client is busy: it reads nothing, timers included, until this returns.
  }
}

interface Outcome {
  status?: number;
  reused: boolean;
  error?: string;
}

function get(port: number, agent: Agent): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, reused: req.reusedSocket }));
    });
    req.on('error', (err: NodeJS.ErrnoException) =>
      resolve({ reused: req.reusedSocket, error: err.code ?? err.message }),
    );
    req.end();
  });
}

describe('the soak keep-alive agent', () => {
  let server: Server;
  let port: number;

  beforeAll(async () => {
    server = createServer((_req, res) => res.end('ok'));
    server.keepAliveTimeout = KEEP_ALIVE_MS;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('reads half the announced keep-alive timeout', () => {
    expect(maxIdleOf('timeout=72')).toBe(36_000);
    expect(maxIdleOf('max=100, timeout=30')).toBe(15_000);
    expect(maxIdleOf(undefined)).toBeUndefined();
    expect(maxIdleOf('max=5')).toBeUndefined();
    expect(DEFAULT_MAX_IDLE_MS).toBe(15_000);
  });

  it('reuses a connection used a moment ago', async () => {
    // Announcing 60 s here, so that no pause of a loaded machine makes "a moment" too long.
    server.keepAliveTimeout = 60_000;
    const agent = new FreshHttpAgent({ keepAlive: true });
    try {
      expect(await get(port, agent)).toEqual({ status: 200, reused: false });
      expect(await get(port, agent)).toEqual({ status: 200, reused: true });
    } finally {
      agent.destroy();
      server.keepAliveTimeout = KEEP_ALIVE_MS;
    }
  });

  // The client stalls past the server's close, then sends at once: the stock agent hands out the
  // connection whose close it has not read yet.
  async function afterStall(agent: Agent): Promise<Outcome> {
    expect(await get(port, agent)).toEqual({ status: 200, reused: false });
    const idleFrom = performance.now();
    return new Promise((resolve) =>
      setImmediate(() => {
        spinUntil(idleFrom + KEEP_ALIVE_MS + 1500);
        resolve(get(port, agent));
      }),
    );
  }

  it('opens a new connection rather than reuse one idle past half the timeout', async () => {
    const agent = new FreshHttpAgent({ keepAlive: true });
    expect(await afterStall(agent)).toEqual({ status: 200, reused: false });
    agent.destroy();
  });

  it("Node's own keep-alive agent reuses it and fails (the race the soak avoids)", async () => {
    const agent = new Agent({ keepAlive: true });
    const outcome = await afterStall(agent);
    expect(outcome.reused).toBe(true);
    expect(outcome.error).toBe('ECONNRESET');
    agent.destroy();
  });
});
