import { randomBytes } from 'node:crypto';

/**
 * API key format: `kw_` + base62 of 32 random bytes (43 chars) + base62 CRC32 of that body
 * (6 chars), 52 chars in all, like GitHub's tokens. The prefix lets secret scanners recognise a
 * leaked key; the checksum catches typos and garbage offline, without a lookup. It is no
 * protection against forgery: anyone can compute a CRC. Forgery is stopped by the Secret's
 * signature and by the fingerprint lookup.
 */
export const API_KEY_PREFIX = 'kw_';
export const API_KEY_RANDOM_BYTES = 32;
/** ceil(256 / log2(62)): every 32-byte value fits. */
export const API_KEY_BODY_LENGTH = 43;
export const API_KEY_CHECKSUM_LENGTH = 6;
export const API_KEY_LENGTH = API_KEY_PREFIX.length + API_KEY_BODY_LENGTH + API_KEY_CHECKSUM_LENGTH;

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const BASE62_TAIL = new RegExp(`^[0-9A-Za-z]{${API_KEY_BODY_LENGTH + API_KEY_CHECKSUM_LENGTH}}$`);

export type GeneratedApiKey = Readonly<{ key: string; hint: string }>;

export type ParsedApiKey = { ok: true } | { ok: false; reason: 'malformed' | 'bad-prefix' | 'bad-checksum' };

export function generateApiKey(): GeneratedApiKey {
  const bytes = randomBytes(API_KEY_RANDOM_BYTES);
  let n = BigInt(`0x${bytes.toString('hex')}`);
  bytes.fill(0);
  let body = '';
  while (n > 0n) {
    body = BASE62[Number(n % 62n)] + body;
    n /= 62n;
  }
  body = body.padStart(API_KEY_BODY_LENGTH, '0');
  const key = `${API_KEY_PREFIX}${body}${checksumOf(body)}`;
  return { key, hint: apiKeyHint(key) };
}

/** The display hint stored in events and shown in the key table: prefix and last 4 characters. */
export function apiKeyHint(key: string): string {
  return `${API_KEY_PREFIX}…${key.slice(-4)}`;
}

/** Structural checks only, no I/O: runs on every edge request, before any signature check. */
export function parseApiKey(candidate: string): ParsedApiKey {
  if (typeof candidate !== 'string') return { ok: false, reason: 'malformed' };
  if (!candidate.startsWith(API_KEY_PREFIX)) return { ok: false, reason: 'bad-prefix' };
  if (candidate.length !== API_KEY_LENGTH) return { ok: false, reason: 'malformed' };
  const tail = candidate.slice(API_KEY_PREFIX.length);
  if (!BASE62_TAIL.test(tail)) return { ok: false, reason: 'malformed' };
  const body = tail.slice(0, API_KEY_BODY_LENGTH);
  if (tail.slice(API_KEY_BODY_LENGTH) !== checksumOf(body)) return { ok: false, reason: 'bad-checksum' };
  return { ok: true };
}

function checksumOf(body: string): string {
  let n = crc32(body);
  let out = '';
  for (let i = 0; i < API_KEY_CHECKSUM_LENGTH; i++) {
    out = BASE62[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[i] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE) of an ASCII string; the body is base62, so one char is one byte. */
function crc32(ascii: string): number {
  let crc = 0xffffffff;
  for (let i = 0; i < ascii.length; i++) crc = CRC_TABLE[(crc ^ ascii.charCodeAt(i)) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
