// An active node's cluster port in one process, serving forwarded requests with a canned streamed
// answer and recording what it saw, and a standby's forwarder pointed at it: shared by the cluster
// port's tests and the standby front's.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ActiveNode, Forwarder } from '../src/cluster/forwarder.js';
import type { ClusterIdentity } from '../src/cluster/identity.js';
import { isClusterSocket, listenCluster } from '../src/cluster/listener.js';
import type { EchoInfo } from '../src/cluster/protocol.js';

export const SELF: EchoInfo = {
  id: 'node-b',
  hostname: 'b',
  api_addr: 'http://b:8200',
  cluster_addr: 'https://b:8201',
};

export interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  fromCluster: boolean;
}

export async function activeSide(identity: () => ClusterIdentity | undefined) {
  const seen: Seen[] = [];
  const echoes: EchoInfo[] = [];
  const listener = await listenCluster({
    host: '127.0.0.1',
    port: 0,
    identity,
    serve: (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({
          method: req.method!,
          url: req.url!,
          headers: req.headers,
          body: Buffer.concat(chunks).toString(),
          fromCluster: isClusterSocket(req.socket),
        });
        res.writeHead(201, { 'content-type': 'application/json', 'x-answer': 'yes' });
        // Two writes: the answer streams back, it is not one buffer.
        res.write('{"data":');
        setTimeout(() => res.end('"streamed"}'), 20);
      });
    },
    echo: (info) => echoes.push(info),
  });
  return { listener, seen, echoes };
}

export function forwarderTo(active: () => ActiveNode | undefined): Forwarder {
  return new Forwarder({ active: async () => active(), self: () => SELF, log: () => undefined });
}

export async function text(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString();
}
