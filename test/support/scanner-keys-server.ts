import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { generateKeyPairSync, KeyObject, sign } from 'node:crypto';

/**
 * A stand-in for GitHub's secret scanning: a real P-256 signing key, its public half served in
 * GitHub's format from a real HTTP server, and reports signed the way GitHub signs them.
 */
export class ScannerKeysServer {
  readonly identifier = `test-key-${process.pid}-${Date.now()}`;
  private readonly privateKey: KeyObject;
  private readonly publicPem: string;
  private server?: Server;
  /** How many times the keys were fetched. */
  fetches = 0;

  constructor() {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    this.privateKey = privateKey;
    this.publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  }

  async start(): Promise<void> {
    this.server = createServer((_req, res) => {
      this.fetches++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ public_keys: [{ key_identifier: this.identifier, key: this.publicPem, is_current: true }] }));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/meta/public_keys/secret_scanning`;
  }

  /** The body and the headers of a report of these matches, signed with this server's key. */
  signed(matches: unknown): { body: string; headers: Record<string, string> } {
    const body = JSON.stringify(matches);
    return { body, headers: this.headersFor(body) };
  }

  headersFor(body: string): Record<string, string> {
    return {
      'content-type': 'application/json',
      'Github-Public-Key-Identifier': this.identifier,
      'Github-Public-Key-Signature': sign('sha256', Buffer.from(body), this.privateKey).toString('base64'),
    };
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

export const match = (token: string, url = 'https://github.com/acme/app/blob/0a1b2c/.env', type = 'keywarden_secret') => ({ token, type, url, source: 'content' });
