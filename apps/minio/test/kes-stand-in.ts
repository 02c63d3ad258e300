// A stand-in KES over mTLS for the deadline tests: it answers generate/decrypt/describe as a KMS would
// (the "sealed" key is the plaintext XOR 0x5a, enough to round-trip), or accepts the request and
// stalls — before the status line, or after the headers and half the body — as a hung KES does.
import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import { clientTlsOptions, createDevPki } from '@kms-chain/tls-identity';
import { KesClient, type KesClientOptions } from '../src/kms/kes-client.js';

export type StandInMode = 'answer' | 'stall-headers' | 'stall-body';

export interface StandInKes {
  url: string;
  mode: StandInMode;
  /** Paths of the requests received. */
  seen: string[];
  /** Headers of the requests received, in the same order. */
  seenHeaders: IncomingHttpHeaders[];
}

export interface StandIns {
  kes: StandInKes[];
  /** The client TLS settings the stand-ins accept. */
  tls: ConnectionOptions;
  /** A client of the given stand-ins (by index) with test deadlines. */
  client(indexes: number[], opts?: Partial<KesClientOptions>): KesClient;
  close(): Promise<void>;
}

function seal(b: Buffer): Buffer {
  return Buffer.from(b.map((x) => x ^ 0x5a));
}

/** `n` stand-in KES servers on loopback, sharing one dev PKI. */
export async function startStandIns(n: number): Promise<StandIns> {
  const dir = await mkdtemp(join(tmpdir(), 'kes-stand-in-'));
  const pki = await createDevPki(join(dir, 'pki'), { clients: ['minio'] });
  const held: ServerResponse[] = [];
  const servers: Server[] = [];
  const kes: StandInKes[] = [];
  for (let i = 0; i < n; i++) {
    const self: StandInKes = { url: '', mode: 'answer', seen: [], seenHeaders: [] };
    const server = createServer(
      { cert: pki.server.certPem, key: pki.server.keyPem, ca: pki.ca.certPem, requestCert: true },
      (req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const path = req.url ?? '/';
          self.seen.push(path);
          self.seenHeaders.push(req.headers);
          if (self.mode === 'stall-headers') {
            held.push(res);
            return;
          }
          let reply: string;
          if (path.startsWith('/v1/key/generate/')) {
            const pt = Buffer.alloc(32, 7);
            reply = JSON.stringify({
              plaintext: pt.toString('base64'),
              ciphertext: seal(pt).toString('base64'),
            });
          } else if (path.startsWith('/v1/key/decrypt/')) {
            const v = JSON.parse(Buffer.concat(chunks).toString()) as { ciphertext: string };
            reply = JSON.stringify({
              plaintext: seal(Buffer.from(v.ciphertext, 'base64')).toString('base64'),
            });
          } else {
            reply = '{}';
          }
          if (self.mode === 'stall-body') {
            res.writeHead(200, { 'content-type': 'application/json', 'content-length': reply.length });
            res.write(reply.slice(0, reply.length >> 1));
            held.push(res);
            return;
          }
          res.writeHead(200, { 'content-type': 'application/json' }).end(reply);
        });
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    self.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    servers.push(server);
    kes.push(self);
  }
  const minio = pki.clients.minio!;
  const tls = clientTlsOptions({ cert: minio.certPem, key: minio.keyPem, ca: pki.ca.certPem });
  const clients: KesClient[] = [];
  return {
    kes,
    tls,
    client(indexes, opts = {}) {
      const c = new KesClient({
        endpoints: indexes.map((i) => kes[i]!.url),
        defaultKeyId: 'k',
        tls,
        retryDelayMs: 1,
        ...opts,
      });
      clients.push(c);
      return c;
    },
    async close() {
      for (const c of clients) c.close();
      for (const res of held) res.destroy();
      for (const s of servers) {
        s.closeAllConnections();
        await new Promise((resolve) => s.close(resolve));
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
