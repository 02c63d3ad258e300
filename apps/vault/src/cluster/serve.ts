// Binding a listener whose connections are tracked, shared by the API listener (http/listen.ts) and
// the cluster listener: close() stops accepting and ends every open connection at once.
import type * as net from 'node:net';

/** A running listener; close() stops accepting and ends open connections. */
export interface Listener {
  address: net.AddressInfo;
  close(): Promise<void>;
}

/** Binds `server` on host:port; `sockets` is the set its connection handler keeps up to date. */
export async function bindTracked(
  server: net.Server,
  sockets: Set<net.Socket>,
  port: number,
  host: string | undefined,
): Promise<Listener> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    address: server.address() as net.AddressInfo,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}
