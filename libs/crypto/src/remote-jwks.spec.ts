import http, { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ManualClock } from '@keywarden/clock';
import { waitFor } from '../../../test/support/wait-for';
import { generateApiKey } from './api-key';
import { InvalidSecretError, SigningKeysUnavailableError } from './crypto.errors';
import { SecretMinter, SecretVerifier } from './secret';
import { SigningKeyRing } from './signing-key-ring';

/** The registry's JWKS endpoint, for real over HTTP on 127.0.0.1: counts the fetches it answers. */
class JwksServer {
  fetches = 0;
  /** 'up' serves the ring's JWKS; 'failing' answers 503 (still counted). */
  mode: 'up' | 'failing' = 'up';
  private server?: Server;
  private port = 0;

  constructor(private readonly ring: SigningKeyRing) {}

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      this.fetches++;
      if (this.mode === 'failing') {
        res.writeHead(503, { 'Content-Type': 'application/json' }).end('{"statusCode":503}');
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(this.ring.jwks()));
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  get url(): URL {
    return new URL(`http://127.0.0.1:${this.port}/.well-known/jwks.json`);
  }

  /** Down for real: connections are refused. */
  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = undefined;
  }
}

const COOLDOWN_MS = 30_000;
const MAX_AGE_MS = 10 * 60_000;

describe('the edge\'s JWKS (SecretVerifier.forRemoteJwks)', () => {
  const clock = new ManualClock('2026-03-01T10:00:00Z');
  let ring: SigningKeyRing;
  let server: JwksServer;
  let verifier: SecretVerifier;
  let failures: Array<{ holdingLastGood: boolean }>;

  beforeEach(async () => {
    ring = SigningKeyRing.generate(clock.now());
    server = new JwksServer(ring);
    await server.start();
    failures = [];
    verifier = SecretVerifier.forRemoteJwks(server.url, {
      clock,
      cooldownMs: COOLDOWN_MS,
      cacheMaxAgeMs: MAX_AGE_MS,
      maxBackoffMs: 4 * COOLDOWN_MS,
      timeoutMs: 2_000,
      onFetchFailed: (_error, holdingLastGood) => failures.push({ holdingLastGood }),
    });
  });

  afterEach(() => server.stop());

  const mint = (signer: SigningKeyRing = ring) =>
    new SecretMinter(signer).mint({ apiKey: generateApiKey().key, orgId: 'acme', keyId: 'k1', acceptUntil: null, now: clock.now() });
  const outcome = (secret: string): Promise<string> =>
    verifier.verify(secret, clock.now()).then(
      () => 'verified',
      (error: unknown) => {
        if (error instanceof InvalidSecretError) return error.reason;
        if (error instanceof SigningKeysUnavailableError) return 'unavailable';
        throw error;
      },
    );
  const strangers = (n: number) => Promise.all(Array.from({ length: n }, () => mint(SigningKeyRing.generate(clock.now()))));

  it('verifies from one fetch, then from memory', async () => {
    const secret = await mint();
    expect(await outcome(secret)).toBe('verified');
    expect(await Promise.all([outcome(secret), outcome(secret), outcome(await mint())])).toEqual(['verified', 'verified', 'verified']);
    expect(server.fetches).toBe(1);
  });

  it('fetches at most once per cooldown for a burst of unknown kids', async () => {
    expect(await outcome(await mint())).toBe('verified');
    const made = await strangers(40);
    // Within the cooldown of the first fetch: unknown, and no fetch at all.
    expect(new Set(await Promise.all(made.slice(0, 20).map(outcome)))).toEqual(new Set(['unknown-kid']));
    expect(server.fetches).toBe(1);
    // After it: the whole burst shares one fetch, and the next burst none.
    clock.advance(COOLDOWN_MS);
    expect(new Set(await Promise.all(made.slice(20).map(outcome)))).toEqual(new Set(['unknown-kid']));
    expect(new Set(await Promise.all(made.map(outcome)))).toEqual(new Set(['unknown-kid']));
    expect(server.fetches).toBe(2);
  });

  it('keeps verifying known kids from the last good set after the max-age while the registry is down', async () => {
    const secret = await mint();
    expect(await outcome(secret)).toBe('verified');
    await server.stop();
    clock.advance(MAX_AGE_MS + 1);
    expect(await outcome(secret)).toBe('verified');
    await waitFor(() => failures.length === 1, { description: 'the background refresh failing' });
    for (let i = 0; i < 5; i++) {
      clock.advance(MAX_AGE_MS);
      expect(await Promise.all([outcome(secret), outcome(secret)])).toEqual(['verified', 'verified']);
    }
    expect(failures.every((f) => f.holdingLastGood)).toBe(true);
    // An unknown kid cannot be told from a real new key now: retriable, not "forged".
    expect(await outcome((await strangers(1))[0])).toBe('unavailable');
  });

  it('backs failed fetches off (unknown kids included) and recovers when the registry answers again', async () => {
    const secret = await mint();
    expect(await outcome(secret)).toBe('verified');
    server.mode = 'failing';
    const made = await strangers(10);
    clock.advance(COOLDOWN_MS);
    expect(new Set(await Promise.all(made.map(outcome)))).toEqual(new Set(['unavailable']));
    expect(server.fetches).toBe(2);
    // One failure: the next attempt waits a cooldown; after the second, two.
    clock.advance(COOLDOWN_MS - 1);
    await Promise.all(made.map(outcome));
    expect(server.fetches).toBe(2);
    clock.advance(1);
    await Promise.all(made.map(outcome));
    expect(server.fetches).toBe(3);
    clock.advance(COOLDOWN_MS);
    await Promise.all(made.map(outcome));
    expect(server.fetches).toBe(3);
    expect(await outcome(secret)).toBe('verified');
    server.mode = 'up';
    clock.advance(COOLDOWN_MS);
    expect(await outcome(made[0])).toBe('unknown-kid');
    expect(server.fetches).toBe(4);
  });

  it('picks up a rotated-in signing key after the cooldown', async () => {
    expect(await outcome(await mint())).toBe('verified');
    ring.rotate(clock.now());
    const rotated = await mint();
    clock.advance(COOLDOWN_MS - 1);
    expect(await outcome(rotated)).toBe('unknown-kid');
    expect(server.fetches).toBe(1);
    clock.advance(1);
    expect(await outcome(rotated)).toBe('verified');
    expect(server.fetches).toBe(2);
  });

  it('stops honouring a retired signing key once a refresh after the max-age has seen it go', async () => {
    const before = await mint();
    expect(await outcome(before)).toBe('verified');
    const oldKid = ring.current().kid;
    ring.rotate(clock.now());
    ring.retire(oldKid);
    clock.advance(MAX_AGE_MS);
    expect(await outcome(before)).toBe('verified');
    await waitFor(() => server.fetches === 2, { description: 'the background refresh' });
    await waitFor(async () => (await outcome(before)) === 'unknown-kid', { description: 'the retired key dropped' });
  });

  it('starting with the registry down: unavailable, retried soon and at a bounded rate, then verified', async () => {
    server.mode = 'failing';
    const secret = await mint();
    expect(await Promise.all([outcome(secret), outcome(secret), outcome(secret)])).toEqual(['unavailable', 'unavailable', 'unavailable']);
    expect(server.fetches).toBe(1);
    expect(failures).toEqual([{ holdingLastGood: false }]);
    expect(await outcome(secret)).toBe('unavailable');
    expect(server.fetches).toBe(1);
    server.mode = 'up';
    clock.advance(1_000);
    expect(await outcome(secret)).toBe('verified');
    expect(server.fetches).toBe(2);
  });
});
