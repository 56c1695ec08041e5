import { KeyRingEvent } from '@keywarden/contracts';
import { CacheChange, CachedKey } from './active-key-cache.port';

const epoch = (instant: string | null): number | null => (instant === null ? null : Date.parse(instant));
const earliest = (a: number | null, b: number): number => (a === null || b < a ? b : a);

/**
 * The pure projection of one key-ring event onto the cached entry of its key (STYLE.md §10).
 * `current` is the entry as cached before the event; the result is the change to write.
 */
export function projectKeyEvent(current: CachedKey | null, event: KeyRingEvent): CacheChange {
  switch (event.type) {
    case 'KeyIssued': {
      const d = event.data;
      return { kind: 'put', key: { orgId: d.orgId, keyId: d.keyId, fingerprint: d.fingerprint, status: 'active', acceptUntil: epoch(d.expiresAt) } };
    }
    case 'KeyRevoked':
      if (!current) return { kind: 'none' };
      return { kind: 'put', key: { ...current, status: 'revoked', acceptUntil: earliest(current.acceptUntil, Date.parse(event.data.graceEndsAt)) } };
    case 'ExpirationRemoved':
      if (!current) return { kind: 'none' };
      return { kind: 'put', key: { ...current, acceptUntil: null } };
    case 'KeyExpired':
    case 'KeyDeleted':
      return { kind: 'remove', keyId: event.data.keyId };
    case 'KeyRevealed':
    case 'ExpiryNoticeIssued':
    // The revoke a leak causes is its own KeyRevoked/KeyExpired: the report alone changes nothing here.
    case 'KeyLeaked':
      return { kind: 'none' };
    default: {
      const unknownEvent: never = event;
      return unknownEvent;
    }
  }
}

/** Events after which the edge must drop what it holds in its in-process cache for the key. */
export const invalidates = (event: KeyRingEvent): boolean =>
  event.type === 'KeyRevoked' || event.type === 'KeyExpired' || event.type === 'KeyDeleted' || event.type === 'ExpirationRemoved';
