import { DAY_MS } from '@keywarden/clock';
import { Actor } from '@keywarden/contracts';
import { KeyRingCommand, NewKeyMaterial } from '../key-ring.decider';
import { Validity } from '../validity';

// Commands of one organisation's admin for the key-ring specs: fixed ids, fake material (the
// decider and the repository never decrypt it).

export const ORG = 'acme';
export const admin: Actor = { sub: 'u-1', email: 'admin@acme.test' };
export const DAY0 = '2026-01-01T00:00:00.000Z';
export const day = (n: number, from = DAY0): string => new Date(Date.parse(from) + n * DAY_MS).toISOString();
export const meta = (now: string) => ({ now, actor: admin });
export const year = { kind: 'days', days: 365 } as const;

export const newKey = (keyId: string): NewKeyMaterial => ({
  keyId,
  fingerprint: keyId.padEnd(64, '0').replace(/[^0-9a-f]/g, 'a').slice(0, 64),
  hint: `kw_…${keyId.slice(-4)}`,
  material: { alg: 'A256GCM', dataKeyId: keyId, iv: 'iv', ciphertext: 'ct', tag: 'tag' },
});

export const issue = (keyId: string, now = DAY0, validity: Validity = year): KeyRingCommand => ({
  type: 'IssueKey',
  data: { orgId: ORG, newKey: newKey(keyId), validity },
  metadata: meta(now),
});

export const revoke = (keyId: string, replacement: string, graceDays = 30, now = DAY0): KeyRingCommand => ({
  type: 'RevokeKey',
  data: { keyId, graceDays, reason: null, newKey: newKey(replacement), newKeyValidity: year },
  metadata: meta(now),
});

export const leak = (keyId: string, replacement: string, action: 'revoke' | 'notify' = 'revoke', now = DAY0): KeyRingCommand => ({
  type: 'RecordLeak',
  data: { keyId, scanner: 'github', url: 'https://github.com/o/r/blob/abc/config.env', source: 'content', action, newKey: newKey(replacement), newKeyValidity: year },
  metadata: { now, actor: { sub: 'keywarden:secret-scanning:github', email: null } },
});
