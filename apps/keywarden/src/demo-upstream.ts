import http, { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from '@keywarden/clock';

export type DemoUpstream = Readonly<{ url: string; close: () => Promise<void> }>;

/**
 * The API the all-in-one's edge fronts when EDGE_UPSTREAM_URL is unset, so a new user can call
 * through the gateway at once. It answers every request with what reached it: the identity the
 * edge added and a date-time (`servedAt`), which the edge rewrites when the organisation turns on
 * ISO 8601 UTC timestamps. It reads no body and stores nothing.
 */
export async function startDemoUpstream(clock: Clock, host = '127.0.0.1'): Promise<DemoUpstream> {
  const server: Server = http.createServer((req: IncomingMessage, res: ServerResponse) => {
    // Drain the body, so a keep-alive connection from the edge's pool stays usable.
    req.resume();
    req.on('end', () => {
      const body = JSON.stringify({
        message: 'Hello from the demo API behind the Keywarden edge: set EDGE_UPSTREAM_URL to front your own API.',
        method: req.method,
        path: req.url,
        organisation: req.headers['x-keywarden-org'] ?? null,
        keyId: req.headers['x-keywarden-key-id'] ?? null,
        servedAt: clock.now().toISOString(),
      });
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
