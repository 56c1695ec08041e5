import type { Actor, KeyRingEvent } from '@keywarden/contracts';

/** What a notification needs to know about the keys of a ring: hints and ends, not material. */
export type KeyFacts = Readonly<{
  keyId: string;
  hint: string;
  issuedAt: string;
  expiresAt: string | null;
  graceEndsAt: string | null;
  replacedBy: string | null;
}>;

export type RingContext = Readonly<{
  keys: ReadonlyMap<string, KeyFacts>;
  /** Addresses of the admins who acted on the ring, first actor first: the fallback recipients. */
  contacts: readonly string[];
}>;

const actorOf = (event: KeyRingEvent): Actor | null => ('actor' in event.data ? event.data.actor : null);

/** A pure fold of the ring's events up to (and including) the one being notified. */
export function ringContextOf(events: readonly KeyRingEvent[]): RingContext {
  const keys = new Map<string, KeyFacts>();
  const contacts: string[] = [];
  for (const event of events) {
    const email = actorOf(event)?.email?.trim().toLowerCase();
    if (email && !contacts.includes(email)) contacts.push(email);
    const current = keys.get(event.data.keyId);
    switch (event.type) {
      case 'KeyIssued':
        keys.set(event.data.keyId, {
          keyId: event.data.keyId,
          hint: event.data.hint,
          issuedAt: event.data.issuedAt,
          expiresAt: event.data.expiresAt,
          graceEndsAt: null,
          replacedBy: null,
        });
        break;
      case 'KeyRevoked':
        if (current) keys.set(current.keyId, { ...current, graceEndsAt: event.data.graceEndsAt, replacedBy: event.data.replacedBy });
        break;
      case 'ExpirationRemoved':
        if (current) keys.set(current.keyId, { ...current, expiresAt: null });
        break;
      case 'KeyDeleted':
        keys.delete(event.data.keyId);
        break;
      case 'KeyExpired':
      case 'KeyRevealed':
      case 'ExpiryNoticeIssued':
      case 'KeyLeaked':
        break;
      default: {
        const unknown: never = event;
        return unknown;
      }
    }
  }
  return { keys, contacts };
}
