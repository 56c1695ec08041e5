import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { KeyMaterialConfigError, LocalKeyMaterialError, SigningKeyRingError } from './crypto.errors';
import { MIN_PEPPER_BYTES } from './key-fingerprint';
import { SigningKeyRing } from './signing-key-ring';

export type KeyMaterial = Readonly<{ pepper: Buffer; kek: Buffer; signingKeys: SigningKeyRing }>;

export type KeyMaterialConfig = Readonly<{
  pepperBase64: string | null | undefined;
  kekBase64: string | null | undefined;
  signingKeysJson: string | null | undefined;
}>;

const KEK_BYTES = 32;
const BASE64 = /^(?:[A-Za-z0-9+/]+={0,2}|[A-Za-z0-9_-]+)$/;

export const LOCAL_KEY_FILES = { pepper: 'pepper.base64', kek: 'kek.base64', signingKeys: 'signing-keys.json' } as const;

/** `<dataDir>/keys`, created 0700 (and tightened to 0700 if it already existed). */
export function localKeysDir(dataDir: string): string {
  const dir = join(dataDir, 'keys');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  return dir;
}

/**
 * Reads a key file, creating it first if absent. Creation is atomic and never clobbers: the
 * content is written 0600 to a temporary file, fsynced, then hard-linked into place, so two
 * processes starting on the same data folder agree on one value and nobody reads a half file.
 */
export function readOrCreateKeyFile(file: string, create: () => string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new LocalKeyMaterialError(file, 'cannot be read');
  }
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, create());
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      unlinkSync(tmp);
      throw new LocalKeyMaterialError(file, 'could not be created');
    }
  }
  unlinkSync(tmp);
  return readFileSync(file, 'utf8');
}

/** Atomically replaces a key file (0600), e.g. the signing keys after a rotation. */
export function replaceKeyFile(file: string, content: string): void {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/**
 * Embedded mode: the pepper, KEK and signing keys are generated once under `<dataDir>/keys/` and
 * reused on every later start. Losing these files makes every stored fingerprint and encrypted
 * key copy useless, so they are never regenerated over an existing file.
 */
export function loadOrCreateLocalKeyMaterial(dataDir: string, now: Date = new Date()): KeyMaterial {
  const dir = localKeysDir(dataDir);
  const pepperFile = join(dir, LOCAL_KEY_FILES.pepper);
  const kekFile = join(dir, LOCAL_KEY_FILES.kek);
  const ringFile = join(dir, LOCAL_KEY_FILES.signingKeys);
  const pepper = decodeBase64(readOrCreateKeyFile(pepperFile, () => `${randomBytes(MIN_PEPPER_BYTES).toString('base64')}\n`).trim());
  if (!pepper || pepper.length < MIN_PEPPER_BYTES) throw new LocalKeyMaterialError(pepperFile, `must hold at least ${MIN_PEPPER_BYTES} bytes in base64`);
  const kek = decodeBase64(readOrCreateKeyFile(kekFile, () => `${randomBytes(KEK_BYTES).toString('base64')}\n`).trim());
  if (!kek || kek.length !== KEK_BYTES) throw new LocalKeyMaterialError(kekFile, `must hold exactly ${KEK_BYTES} bytes in base64`);
  const ringJson = readOrCreateKeyFile(ringFile, () => `${SigningKeyRing.generate(now).serialize()}\n`);
  let signingKeys: SigningKeyRing;
  try {
    signingKeys = SigningKeyRing.fromJSON(ringJson);
  } catch (error) {
    throw new LocalKeyMaterialError(ringFile, error instanceof SigningKeyRingError ? `is invalid: ${error.message}` : 'is invalid');
  }
  return { pepper, kek, signingKeys };
}

/** Persists the local ring after a rotation or retirement. */
export function saveLocalSigningKeys(dataDir: string, signingKeys: SigningKeyRing): void {
  replaceKeyFile(join(localKeysDir(dataDir), LOCAL_KEY_FILES.signingKeys), `${signingKeys.serialize()}\n`);
}

/** Production: the three values come from configuration; errors name the variable, never the value. */
export function keyMaterialFromConfig(config: KeyMaterialConfig): KeyMaterial {
  const pepper = requiredBase64('KEYWARDEN_PEPPER', config.pepperBase64);
  if (pepper.length < MIN_PEPPER_BYTES) throw new KeyMaterialConfigError('KEYWARDEN_PEPPER', `must decode to at least ${MIN_PEPPER_BYTES} bytes`);
  const kek = requiredBase64('KEYWARDEN_KEK', config.kekBase64);
  if (kek.length !== KEK_BYTES) throw new KeyMaterialConfigError('KEYWARDEN_KEK', `must decode to exactly ${KEK_BYTES} bytes (AES-256)`);
  const json = config.signingKeysJson?.trim();
  if (!json) throw new KeyMaterialConfigError('KEYWARDEN_SIGNING_KEYS', 'is required (a signing key ring as JSON)');
  try {
    return { pepper, kek, signingKeys: SigningKeyRing.fromJSON(json) };
  } catch (error) {
    throw new KeyMaterialConfigError('KEYWARDEN_SIGNING_KEYS', error instanceof SigningKeyRingError ? `is invalid: ${error.message}` : 'is invalid');
  }
}

function requiredBase64(variable: string, value: string | null | undefined): Buffer {
  const text = value?.trim();
  if (!text) throw new KeyMaterialConfigError(variable, 'is required');
  const bytes = decodeBase64(text);
  if (!bytes) throw new KeyMaterialConfigError(variable, 'must be base64');
  return bytes;
}

function decodeBase64(text: string): Buffer | null {
  if (!BASE64.test(text)) return null;
  // Node's base64 decoder reads both the standard and the URL-safe alphabet.
  return Buffer.from(text, 'base64');
}
