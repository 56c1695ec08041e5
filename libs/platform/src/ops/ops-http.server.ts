import http, { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { isWellEncodedUrl, malformedUrl, metricsText, RequestRefusedException } from '@keywarden/observability';
import { hasBody, refusalOfHeaders } from '../json-body.middleware';
import { checkReadiness, ReadinessSource } from './readiness';

const REASONS: Readonly<Record<number, string>> = { 400: 'Bad Request', 413: 'Payload Too Large', 415: 'Unsupported Media Type' };

/**
 * /health/live, /health/ready and /metrics on their own small listener, for the services with no
 * HTTP API (projection, notifier). Nothing else is served.
 */
export class OpsHttpServer {
  private readonly server: Server;

  constructor(
    private readonly readiness: ReadinessSource,
    private readonly logger: Logger,
  ) {
    this.server = http.createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      const json = (status: number, body: unknown): void => {
        res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
      };
      const refuse = (error: RequestRefusedException): void => {
        const body = error.getResponse() as { message: string; details: unknown };
        this.logger.warn({ statusCode: error.getStatus(), refusal: error.code }, 'request refused');
        json(error.getStatus(), { statusCode: error.getStatus(), error: REASONS[error.getStatus()] ?? 'Bad Request', ...body });
      };
      // The same refusals as the admin services: a URL that does not decode, a body that is not JSON.
      const refused = !isWellEncodedUrl(req.url ?? '/') ? malformedUrl() : hasBody(req) ? refusalOfHeaders(req) : null;
      if (refused) {
        // The body is not read: close after the answer rather than drain it.
        if (hasBody(req)) res.setHeader('Connection', 'close');
        return refuse(refused);
      }
      if (req.method !== 'GET') {
        res.setHeader('Allow', 'GET');
        return json(405, { statusCode: 405, error: 'Method Not Allowed', message: 'only GET' });
      }
      if (path === '/health/live') return json(200, { status: 'up' });
      if (path === '/health/ready') {
        void checkReadiness(this.readiness).then((report) => json(report.status === 'up' ? 200 : 503, report));
        return;
      }
      if (path === '/metrics') {
        void metricsText().then(
          ({ contentType, body }) => res.writeHead(200, { 'Content-Type': contentType }).end(body),
          (error: unknown) => {
            this.logger.error({ err: error }, 'metrics collection failed');
            json(500, { statusCode: 500, error: 'Internal Server Error', message: 'metrics collection failed' });
          },
        );
        return;
      }
      json(404, { statusCode: 404, error: 'Not Found', message: 'this listener serves /health/live, /health/ready and /metrics' });
    });
  }

  async listen(port: number, host = '0.0.0.0'): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const { port: bound } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${bound}`;
  }

  async close(): Promise<void> {
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
  }
}
