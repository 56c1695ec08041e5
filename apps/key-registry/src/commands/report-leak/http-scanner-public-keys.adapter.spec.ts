import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { generateKeyPairSync } from 'node:crypto';
import { ManualClock } from '@keywarden/clock';
import { HttpScannerPublicKeys } from './http-scanner-public-keys.adapter';
import { SecretScanningError } from './secret-scanning.errors';

// The adapter against a real HTTP server standing in for GitHub's public keys endpoint.
describe('HttpScannerPublicKeys', () => {
  let server: Server;
  let status = 200;
  let fetches = 0;
  const pem = (type: 'ec' | 'ed25519', curve?: string): string =>
    (type === 'ec' ? generateKeyPairSync('ec', { namedCurve: curve! }) : generateKeyPairSync('ed25519')).publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const keys = [
    { key_identifier: 'p256', key: pem('ec', 'prime256v1'), is_current: true },
    { key_identifier: 'p384', key: pem('ec', 'secp384r1'), is_current: false },
    { key_identifier: 'ed', key: pem('ed25519'), is_current: false },
    { key_identifier: 'junk', key: 'not a pem', is_current: false },
  ];

  beforeAll(async () => {
    server = createServer((_req, res) => {
      fetches++;
      res.statusCode = status;
      res.end(JSON.stringify({ public_keys: keys }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const url = () => `http://127.0.0.1:${(server.address() as AddressInfo).port}/keys`;

  it('takes only the P-256 keys of the list, and skips what does not parse', async () => {
    const adapter = new HttpScannerPublicKeys({ url: url(), clock: new ManualClock('2026-01-01T00:00:00.000Z') });
    expect(await adapter.find('p256')).not.toBeNull();
    for (const id of ['p384', 'ed', 'junk', 'absent']) expect(await adapter.find(id)).toBeNull();
  });

  it('refuses with 503 while the keys were never fetched, retrying once per 30 s, and keeps the keys it had when a refetch fails', async () => {
    const clock = new ManualClock('2026-01-01T00:00:00.000Z');
    status = 500;
    const adapter = new HttpScannerPublicKeys({ url: url(), clock });
    const first = fetches;
    await expect(adapter.find('p256')).rejects.toMatchObject({ code: 'SCAN_KEYS_UNAVAILABLE', message: expect.stringContaining('HTTP 500') });
    await expect(adapter.find('p256')).rejects.toBeInstanceOf(SecretScanningError);
    expect(fetches).toBe(first + 1);
    clock.advance(30_000);
    status = 200;
    expect(await adapter.find('p256')).not.toBeNull();
    status = 500;
    const before = fetches;
    clock.advance(30_000);
    expect(await adapter.find('rotated')).toBeNull();
    expect(fetches).toBe(before + 1);
    expect(await adapter.find('p256')).not.toBeNull();
    status = 200;
  });
});
