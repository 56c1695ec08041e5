import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import { SigningKeyRingError } from './crypto.errors';

/** A private Ed25519 JWK as Node exports it. */
export type Ed25519PrivateJwk = Readonly<{ kty: 'OKP'; crv: 'Ed25519'; x: string; d: string }>;

export type SigningKeyRingJson = Readonly<{
  version: 1;
  current: string;
  keys: ReadonlyArray<Readonly<{ kid: string; createdAt: string; jwk: Ed25519PrivateJwk }>>;
}>;

export type SigningKeyInfo = Readonly<{ kid: string; createdAt: string; current: boolean }>;

type Entry = Readonly<{ kid: string; createdAt: string; jwk: Ed25519PrivateJwk; privateKey: KeyObject; publicKey: KeyObject }>;

const B64URL_32_BYTES = /^[A-Za-z0-9_-]{43}$/;

/**
 * The Ed25519 keys that sign Secrets. One is current and signs; the older ones stay published in
 * the JWKS until retired, so Secrets minted before a rotation keep verifying (overlapping keys).
 * The JSON form holds private keys: it is what KEYWARDEN_SIGNING_KEYS or the local key file holds.
 */
export class SigningKeyRing {
  private constructor(
    private entries: Entry[],
    private currentKid: string,
  ) {}

  static generate(now: Date): SigningKeyRing {
    const entry = newEntry(now);
    return new SigningKeyRing([entry], entry.kid);
  }

  /** Throws SigningKeyRingError with a message that never includes key material. */
  static fromJSON(input: string | unknown): SigningKeyRing {
    let value: unknown = input;
    if (typeof input === 'string') {
      try {
        value = JSON.parse(input);
      } catch {
        throw new SigningKeyRingError('the signing keys are not valid JSON');
      }
    }
    const ring = value as Partial<SigningKeyRingJson> | null;
    if (!ring || typeof ring !== 'object' || ring.version !== 1 || !Array.isArray(ring.keys) || ring.keys.length === 0) {
      throw new SigningKeyRingError('the signing keys must be {"version":1,"current":<kid>,"keys":[...]} with at least one key');
    }
    const entries = ring.keys.map((key, index) => entryFromJson(key, index));
    if (new Set(entries.map((e) => e.kid)).size !== entries.length) throw new SigningKeyRingError('the signing keys have a duplicate kid');
    if (typeof ring.current !== 'string' || !entries.some((e) => e.kid === ring.current)) {
      throw new SigningKeyRingError('the current signing key is not among the keys');
    }
    return new SigningKeyRing(entries, ring.current);
  }

  toJSON(): SigningKeyRingJson {
    return { version: 1, current: this.currentKid, keys: this.entries.map(({ kid, createdAt, jwk }) => ({ kid, createdAt, jwk })) };
  }

  serialize(): string {
    return JSON.stringify(this.toJSON());
  }

  current(): Readonly<{ kid: string; privateKey: KeyObject }> {
    const entry = this.entries.find((e) => e.kid === this.currentKid)!;
    return { kid: entry.kid, privateKey: entry.privateKey };
  }

  publicKey(kid: string): KeyObject | null {
    return this.entries.find((e) => e.kid === kid)?.publicKey ?? null;
  }

  list(): SigningKeyInfo[] {
    return this.entries.map((e) => ({ kid: e.kid, createdAt: e.createdAt, current: e.kid === this.currentKid }));
  }

  /** Public keys only: the `d` of a private JWK never leaves through here. */
  jwks(): { keys: JWK[] } {
    return { keys: this.entries.map((e) => ({ kty: 'OKP', crv: 'Ed25519', x: e.jwk.x, kid: e.kid, alg: 'EdDSA', use: 'sig' })) };
  }

  /** Adds a new current key; the previous ones keep verifying until retired. Returns the new kid. */
  rotate(now: Date): string {
    const entry = newEntry(now);
    this.entries = [...this.entries, entry];
    this.currentKid = entry.kid;
    return entry.kid;
  }

  /** Stops publishing a key: Secrets it signed stop verifying. The current key cannot be retired. */
  retire(kid: string): void {
    if (kid === this.currentKid) throw new SigningKeyRingError(`the current signing key ${kid} cannot be retired; rotate first`);
    if (!this.entries.some((e) => e.kid === kid)) throw new SigningKeyRingError(`no signing key ${kid}`);
    this.entries = this.entries.filter((e) => e.kid !== kid);
  }
}

/** RFC 7638 thumbprint of an Ed25519 public key, used as its kid. */
export function ed25519Thumbprint(x: string): string {
  return createHash('sha256').update(`{"crv":"Ed25519","kty":"OKP","x":"${x}"}`).digest('base64url');
}

function newEntry(now: Date): Entry {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const exported = privateKey.export({ format: 'jwk' });
  const jwk: Ed25519PrivateJwk = { kty: 'OKP', crv: 'Ed25519', x: exported.x!, d: exported.d! };
  return { kid: ed25519Thumbprint(jwk.x), createdAt: now.toISOString(), jwk, privateKey, publicKey };
}

function entryFromJson(key: unknown, index: number): Entry {
  const bad = (problem: string) => new SigningKeyRingError(`signing key #${index} ${problem}`);
  const k = key as Partial<{ kid: unknown; createdAt: unknown; jwk: Partial<Record<string, unknown>> }> | null;
  if (!k || typeof k !== 'object') throw bad('is not an object');
  if (typeof k.kid !== 'string' || k.kid.length === 0) throw bad('has no kid');
  if (typeof k.createdAt !== 'string' || Number.isNaN(Date.parse(k.createdAt))) throw bad('has no valid createdAt');
  const jwk = k.jwk;
  if (!jwk || jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519') throw bad('is not an Ed25519 (OKP) JWK');
  if (typeof jwk.x !== 'string' || !B64URL_32_BYTES.test(jwk.x) || typeof jwk.d !== 'string' || !B64URL_32_BYTES.test(jwk.d)) {
    throw bad('must have 32-byte base64url x and d');
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x, d: jwk.d }, format: 'jwk' });
  } catch {
    throw bad('could not be imported');
  }
  const publicKey = createPublicKey(privateKey);
  if (publicKey.export({ format: 'jwk' }).x !== jwk.x) throw bad('has an x that does not match its d');
  return { kid: k.kid, createdAt: k.createdAt, jwk: { kty: 'OKP', crv: 'Ed25519', x: jwk.x, d: jwk.d }, privateKey, publicKey };
}
