import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevPki, parseTlsThroughStream } from './index.js';

const BIG = 8 << 20;
const POST_SIZE = 1 << 20;

/** The statuses of the complete HTTP/1.1 responses (Content-Length bodies) in a byte stream. */
function statuses(data: Buffer): number[] {
  const out: number[] = [];
  let at = 0;
  for (;;) {
    const end = data.indexOf('\r\n\r\n', at);
    if (end < 0) return out;
    const head = data.subarray(at, end).toString('latin1');
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    if (end + 4 + length > data.length) return out;
    out.push(Number(head.slice(9, 12)));
    at = end + 4 + length;
  }
}

describe('parseTlsThroughStream', () => {
  let dir: string;
  let ca: string;
  let server: Server;
  const clientErrors: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tls-bp-'));
    const pki = await createDevPki(join(dir, 'pki'), { clients: [] });
    ca = pki.ca.certPem;
    const big = randomBytes(BIG);
    server = createServer({ cert: pki.server.certPem, key: pki.server.keyPem }, (req, res) => {
      if (req.method === 'GET') {
        res.setHeader('content-length', big.length);
        res.end(big);
        return;
      }
      let n = 0;
      req.on('data', (c: Buffer) => {
        n += c.length;
      });
      req.on('end', () => {
        res.setHeader('content-length', 0);
        res.statusCode = n === POST_SIZE ? 201 : 400;
        res.end();
      });
    });
    server.on('clientError', (err: NodeJS.ErrnoException) => clientErrors.push(err.code ?? err.message));
    parseTlsThroughStream(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  // Without it, Node 20 hands the rest of a decrypted record batch to a parser the full write
  // buffer has paused: HPE_PAUSED, and the connection is destroyed without an answer.
  it('answers a request that arrives while a large response is still being written, then both in order', async () => {
    const { port } = server.address() as { port: number };
    for (let round = 0; round < 3; round++) {
      const socket = connect({ host: '127.0.0.1', port, ca, servername: 'localhost' });
      await new Promise<void>((resolve, reject) => {
        socket.once('secureConnect', resolve);
        socket.once('error', reject);
      });
      const chunks: Buffer[] = [];
      let error: string | undefined;
      socket.on('error', (err) => {
        error = err.message;
      });
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.pause();
      socket.write('GET /big HTTP/1.1\r\nhost: localhost\r\n\r\n');
      await new Promise((r) => setTimeout(r, 300));
      // Sent whole: the server reads many TLS records of it at once.
      const head = `POST /up HTTP/1.1\r\nhost: localhost\r\ncontent-length: ${POST_SIZE}\r\n\r\n`;
      socket.write(Buffer.concat([Buffer.from(head, 'latin1'), randomBytes(POST_SIZE)]));
      await new Promise((r) => setTimeout(r, 300));
      socket.resume();
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline && !socket.destroyed && statuses(Buffer.concat(chunks)).length < 2)
        await new Promise((r) => setTimeout(r, 20));
      const got = statuses(Buffer.concat(chunks));
      socket.destroy();
      expect({ round, error, clientErrors, got }).toEqual({
        round,
        error: undefined,
        clientErrors: [],
        got: [200, 201],
      });
    }
  });
});
