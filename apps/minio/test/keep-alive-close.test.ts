// A kept-alive connection the server is about to close for idleness must still answer a request that
// reached it before the close. Node's server closes an idle connection from a timer, and timers run
// before the event loop reads the sockets: when the process was busy (a long synchronous stretch, a
// starved CPU) across the keep-alive deadline, the timer fired first and destroyed the connection with
// the client's request unread in the kernel — the client saw a reset with its request fully sent and
// not a byte back, and the server logged nothing. The test makes that moment happen on purpose: the
// client and the server share this process, so a synchronous spin stalls the server exactly as an
// overloaded machine does, with the request written before the deadline and read only after it.
import { mkdtemp, rm } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCertsDir } from '../src/config/certs.js';
import { devCertsDir, startServer, type TestServer } from './helpers.js';
import { openRaw } from './raw-http.js';

/** The keep-alive timeout the test gives the server (Node closes an idle connection a second later). */
const KEEP_ALIVE_MS = 1000;

function spinUntil(at: number): void {
  while (performance.now() < at) {
    // The whole process stalls, the server's event loop with it.
  }
}

const PROBE = 'GET /minio/health/live HTTP/1.1\r\nhost: localhost\r\n\r\n';

/** Resolves once `count` complete responses (bodiless, as the probe's) have arrived, or the socket ended. */
function responses(socket: Socket, count: number): Promise<{ statuses: number[]; error?: string }> {
  return new Promise((resolve) => {
    let text = '';
    const statuses = (): number[] => [...text.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => Number(m[1]));
    const done = (error?: string) => {
      socket.removeListener('data', onData);
      resolve({ statuses: statuses(), ...(error ? { error } : {}) });
    };
    const onData = (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (statuses().length >= count && text.endsWith('\r\n\r\n')) done();
    };
    socket.on('data', onData);
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
    socket.once('close', () => done('closed'));
  });
}

describe.each(['https', 'http'] as const)('%s keep-alive connection closed for idleness', (scheme) => {
  let work: string;
  let srv: TestServer;
  let ca: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'minio-keep-alive-'));
    const { certs, ca: caPem } = await devCertsDir(work);
    ca = caPem;
    srv = await startServer(scheme === 'https' ? { tls: loadCertsDir(certs) } : {});
    srv.app.server.keepAliveTimeout = KEEP_ALIVE_MS;
  });
  afterAll(async () => {
    await srv?.close();
    await rm(work, { recursive: true, force: true });
  });

  const open = () => openRaw(scheme, srv.port, ca);

  it('answers a request that arrived before the deadline although the process was busy across it', async () => {
    const socket = await open();
    socket.write(PROBE);
    expect(await responses(socket, 1)).toEqual({ statuses: [200] });
    // The server armed its idle timer when it finished the answer, before it reached this client.
    const answered = performance.now();
    const second = responses(socket, 1);
    // Half the keep-alive timeout later — well before the server may close — the next request goes
    // out and the process stays busy until a second past the server's deadline (the keep-alive timeout
    // plus Node's one-second margin). Stalled in a check-phase callback, as after any I/O callback: the
    // next loop turn runs the due timers before it polls the sockets.
    await new Promise((resolve) => setTimeout(resolve, KEEP_ALIVE_MS / 2));
    let sentAfter = 0;
    await new Promise<void>((resolve) =>
      setImmediate(() => {
        socket.write(PROBE);
        sentAfter = performance.now() - answered;
        spinUntil(answered + KEEP_ALIVE_MS + 2000);
        resolve();
      }),
    );
    expect(
      sentAfter,
      'the request must leave before the deadline for the test to mean anything',
    ).toBeLessThan(KEEP_ALIVE_MS + 1000);
    expect(await second).toEqual({ statuses: [200] });
    socket.destroy();
  });

  it('still closes a connection that stays idle', async () => {
    const socket = await open();
    socket.write(PROBE);
    expect(await responses(socket, 1)).toEqual({ statuses: [200] });
    const closed = await new Promise<string>((resolve) => {
      socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
      socket.once('end', () => resolve('end'));
      socket.resume();
    });
    expect(closed).toBe('end');
    socket.destroy();
  });
});
