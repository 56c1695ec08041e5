import http, { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ReceivedRequest = Readonly<{
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
  /** False when the connection broke before the body ended (an aborted upload). */
  complete: boolean;
}>;

export type UpstreamHandler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;

const defaultHandler: UpstreamHandler = (req, res) => {
  const body = JSON.stringify({ ok: true, method: req.method, url: req.url });
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
};

/** The API behind the edge in tests: records what reached it, answers as told. */
export class TestUpstream {
  readonly received: ReceivedRequest[] = [];
  /** Requests whose headers arrived, counted before their body is read. */
  started = 0;
  private server?: Server;
  handler: UpstreamHandler = defaultHandler;

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      this.started++;
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      const record = (complete: boolean): ReceivedRequest => {
        const r = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, body: Buffer.concat(chunks), complete };
        this.received.push(r);
        return r;
      };
      req.on('end', () => {
        const r = record(true);
        this.handler(req, res, r.body);
      });
      req.on('aborted', () => record(false));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  last(): ReceivedRequest {
    const r = this.received.at(-1);
    if (!r) throw new Error('the upstream has received nothing');
    return r;
  }

  reset(): void {
    this.received.length = 0;
    this.started = 0;
    this.handler = defaultHandler;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}
