import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyMaterialConfigError } from './crypto.errors';
import { keyMaterialFromConfig, loadOrCreateLocalKeyMaterial, saveLocalSigningKeys } from './local-key-material';
import { SigningKeyRing } from './signing-key-ring';

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kw-local-keys-'));
  dirs.push(dir);
  return dir;
}

describe('local key material (embedded mode)', () => {
  it('is created once, 0600 files in a 0700 folder, and reloaded identical', () => {
    const dataDir = join(tempDir(), 'data');
    const first = loadOrCreateLocalKeyMaterial(dataDir);
    expect(first.pepper.length).toBeGreaterThanOrEqual(32);
    expect(first.kek).toHaveLength(32);
    const keysDir = join(dataDir, 'keys');
    expect(statSync(keysDir).mode & 0o777).toBe(0o700);
    const files = readdirSync(keysDir).sort();
    expect(files).toEqual(['kek.base64', 'pepper.base64', 'signing-keys.json']);
    for (const file of files) expect(statSync(join(keysDir, file)).mode & 0o777).toBe(0o600);

    const second = loadOrCreateLocalKeyMaterial(dataDir);
    expect(second.pepper.equals(first.pepper)).toBe(true);
    expect(second.kek.equals(first.kek)).toBe(true);
    expect(second.signingKeys.serialize()).toBe(first.signingKeys.serialize());
  });

  it('keeps a rotated ring across restarts', () => {
    const dataDir = tempDir();
    const { signingKeys } = loadOrCreateLocalKeyMaterial(dataDir);
    const kid = signingKeys.rotate(new Date());
    saveLocalSigningKeys(dataDir, signingKeys);
    const reloaded = loadOrCreateLocalKeyMaterial(dataDir).signingKeys;
    expect(reloaded.current().kid).toBe(kid);
    expect(reloaded.jwks().keys).toHaveLength(2);
    expect(statSync(join(dataDir, 'keys', 'signing-keys.json')).mode & 0o777).toBe(0o600);
  });
});

describe('key material from configuration (production)', () => {
  const valid = {
    pepperBase64: randomBytes(32).toString('base64'),
    kekBase64: randomBytes(32).toString('base64'),
    signingKeysJson: SigningKeyRing.generate(new Date()).serialize(),
  };

  function failure(config: Parameters<typeof keyMaterialFromConfig>[0]): KeyMaterialConfigError {
    try {
      keyMaterialFromConfig(config);
    } catch (error) {
      expect(error).toBeInstanceOf(KeyMaterialConfigError);
      return error as KeyMaterialConfigError;
    }
    throw new Error('expected a rejection');
  }

  it('decodes valid values', () => {
    const material = keyMaterialFromConfig(valid);
    expect(material.pepper.toString('base64')).toBe(valid.pepperBase64);
    expect(material.kek).toHaveLength(32);
  });

  it.each([
    ['KEYWARDEN_PEPPER', { pepperBase64: randomBytes(16).toString('base64') }],
    ['KEYWARDEN_PEPPER', { pepperBase64: null }],
    ['KEYWARDEN_KEK', { kekBase64: randomBytes(31).toString('base64') }],
    ['KEYWARDEN_KEK', { kekBase64: 'not base64!' }],
    ['KEYWARDEN_SIGNING_KEYS', { signingKeysJson: '{"version":1}' }],
    ['KEYWARDEN_SIGNING_KEYS', { signingKeysJson: undefined }],
  ])('names %s when it is wrong, without echoing the value', (variable, override) => {
    const config = { ...valid, ...override };
    const error = failure(config);
    expect(error.variable).toBe(variable);
    expect(error.code).toBe('BAD_CONFIGURATION');
    expect(error.message).toContain(variable);
    for (const value of Object.values(config)) if (value) expect(error.message).not.toContain(value);
  });
});
