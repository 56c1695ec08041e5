// STYLE.md rule 11 as a test tool: collects every secret a test has seen (Secrets, the API keys inside
// them, reveal codes, the pepper, the KEK, the signing keys' private parts) and finds which of them
// appear in text that must never hold one (log lines, events, bus messages, error bodies).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { codeIn, readMailFiles } from './eml-mailbox';

export type SecretKind = 'secret' | 'api-key' | 'otp-code' | 'pepper' | 'kek' | 'signing-key-d';

/** One place text came from, named so a failure says where to look ("log line 12", "event 3 metadata"). */
export type TextBlob = Readonly<{ where: string; text: string }>;

/** A secret found in a blob. Holds its kind and a fingerprint, never the secret itself: the report is printed on failure. */
export type SecretFinding = Readonly<{ kind: SecretKind; fingerprint: string; encoding: string; where: string }>;

type Entry = Readonly<{ kind: SecretKind; encoding: string; value: string; fingerprint: string; pattern: RegExp | null }>;

/** Short, one-way: enough to tell two secrets apart in a report, useless to an attacker. */
export const secretFingerprint = (value: string): string => `sha256:${createHash('sha256').update(value).digest('hex').slice(0, 10)}`;

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export class SecretSet {
  private readonly entries = new Map<string, Entry>();

  get size(): number {
    return this.entries.size;
  }

  kinds(): Set<SecretKind> {
    return new Set([...this.entries.values()].map((e) => e.kind));
  }

  count(kind: SecretKind): number {
    return [...this.entries.values()].filter((e) => e.kind === kind).length;
  }

  has(value: string): boolean {
    return this.entries.has(value);
  }

  /**
   * One blob per kind and encoding, each holding one such secret inside other text: a positive control,
   * so a test can show its scan catches every kind in every encoding before trusting "nothing found".
   */
  controlBlobs(): TextBlob[] {
    const first = new Map<string, Entry>();
    for (const e of this.entries.values()) if (!first.has(`${e.kind} (${e.encoding})`)) first.set(`${e.kind} (${e.encoding})`, e);
    return [...first].map(([name, e]) => ({ where: `control ${name}`, text: `{"msg":"planted","value":"${e.value}","n":1}` }));
  }

  add(kind: SecretKind, value: string, encoding = 'as given'): this {
    if (!value) throw new Error(`an empty ${kind} cannot be scanned for`);
    if (this.entries.has(value)) return this;
    // A reveal code is six digits: it counts only as a number of its own, not inside a longer one (an offset, a time).
    const pattern = kind === 'otp-code' ? new RegExp(`(?<![0-9])${escapeRegExp(value)}(?![0-9])`) : null;
    this.entries.set(value, { kind, encoding, value, fingerprint: secretFingerprint(value), pattern });
    return this;
  }

  /** A Secret (the JWT an admin is shown) and the API key inside it (its payload's client_secret). */
  addSecret(secret: string): this {
    this.add('secret', secret, 'JWT');
    const payload = JSON.parse(Buffer.from(secret.split('.')[1] ?? '', 'base64url').toString('utf8')) as { client_secret?: unknown };
    if (typeof payload.client_secret !== 'string') throw new Error(`the Secret ${secretFingerprint(secret)} has no client_secret`);
    return this.add('api-key', payload.client_secret, 'client_secret');
  }

  addCode(code: string): this {
    if (!/^\d{6}$/.test(code)) throw new Error('a reveal code is six digits');
    return this.add('otp-code', code);
  }

  /** Every reveal code in the .eml files of an embedded data folder. */
  async addCodesFromMailFiles(dataDir: string): Promise<this> {
    for (const mail of await readMailFiles(dataDir)) if (mail.header('x-keywarden-reveal-request-id')) this.addCode(codeIn(mail.text));
    return this;
  }

  /** Raw key bytes, in every encoding a careless line could print them in. */
  addBytes(kind: SecretKind, bytes: Buffer): this {
    this.add(kind, bytes.toString('base64'), 'base64');
    this.add(kind, bytes.toString('base64').replace(/=+$/, ''), 'base64 unpadded');
    this.add(kind, bytes.toString('base64url'), 'base64url');
    this.add(kind, bytes.toString('hex'), 'hex');
    return this.add(kind, bytes.toString('hex').toUpperCase(), 'HEX');
  }

  /**
   * The embedded mode's key material under `<dataDir>/keys/` (libs/crypto local-key-material.ts):
   * the pepper, the KEK and each signing key's private `d`. Read again after a signing-key rotation.
   */
  addLocalKeyMaterial(dataDir: string): this {
    const dir = join(dataDir, 'keys');
    this.addBytes('pepper', Buffer.from(readFileSync(join(dir, 'pepper.base64'), 'utf8').trim(), 'base64'));
    this.addBytes('kek', Buffer.from(readFileSync(join(dir, 'kek.base64'), 'utf8').trim(), 'base64'));
    const ring = JSON.parse(readFileSync(join(dir, 'signing-keys.json'), 'utf8')) as { keys: Array<{ jwk: { d: string } }> };
    for (const { jwk } of ring.keys) {
      this.add('signing-key-d', jwk.d, 'JWK d');
      this.addBytes('signing-key-d', Buffer.from(jwk.d, 'base64url'));
    }
    return this;
  }

  /** Which secret appears in which blob: an empty list when nothing leaked. */
  scan(blobs: Iterable<TextBlob>): SecretFinding[] {
    const findings: SecretFinding[] = [];
    for (const { where, text } of blobs) {
      for (const e of this.entries.values()) {
        if (e.pattern ? e.pattern.test(text) : text.includes(e.value)) findings.push({ kind: e.kind, fingerprint: e.fingerprint, encoding: e.encoding, where });
      }
    }
    return findings;
  }
}

/** A readable failure message: kind, fingerprint and place of each finding, never the secret. */
export function describeFindings(findings: readonly SecretFinding[]): string {
  return findings.map((f) => `${f.kind} ${f.fingerprint} (${f.encoding}) in ${f.where}`).join('\n');
}

/** Fails with the list of findings (never the secrets) when any secret appears in the blobs. */
export function expectNoSecretIn(secrets: SecretSet, blobs: Iterable<TextBlob>): void {
  const findings = secrets.scan(blobs);
  if (findings.length > 0) throw new Error(`${findings.length} secret(s) leaked:\n${describeFindings(findings)}`);
}

/** Blobs of captured JSON log lines, one per line. */
export const logBlobs = (lines: readonly string[], label = 'log line'): TextBlob[] => lines.map((text, i) => ({ where: `${label} ${i + 1}`, text }));

/** Blobs of recorded events: type, data and metadata, each its own blob. */
export const eventBlobs = (events: ReadonlyArray<Readonly<{ streamId: string; revision: bigint; type: string; data: unknown; metadata: unknown }>>): TextBlob[] =>
  events.flatMap((e) => {
    const at = `event ${e.streamId}@${e.revision} (${e.type})`;
    return [
      { where: `${at} type`, text: e.type },
      { where: `${at} data`, text: JSON.stringify(e.data) },
      { where: `${at} metadata`, text: JSON.stringify(e.metadata) },
    ];
  });

/** Blobs of bus messages: key, value and headers. */
export const messageBlobs = (messages: ReadonlyArray<Readonly<{ topic: string; partition: number; offset: string; key: string; value: string; headers: unknown }>>): TextBlob[] =>
  messages.map((m) => ({ where: `message ${m.topic}[${m.partition}]@${m.offset}`, text: `${m.key}\n${m.value}\n${JSON.stringify(m.headers)}` }));
