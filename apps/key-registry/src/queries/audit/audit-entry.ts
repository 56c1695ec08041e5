import { Actor, DateTimeStyle, formatInstant, formatNullableInstant, KeyRingEvent, KeyRingEventType } from '@keywarden/contracts';
import { actorOfEvent, AuditRecord } from './audit-replay';

/** The `AuditEntry` of API.md. */
export type AuditEntry = Readonly<{
  position: number;
  at: string;
  type: KeyRingEventType;
  keyId: string;
  actor: Actor;
  requestId?: string;
  details: Readonly<Record<string, unknown>>;
}>;

/** What each event adds to the timeline, with every instant in the organisation's format; never key material. */
function detailsOf(event: KeyRingEvent, hint: string | null, style: DateTimeStyle): Record<string, unknown> {
  const t = (instant: string): string => formatInstant(instant, style);
  const tn = (instant: string | null): string | null => formatNullableInstant(instant, style);
  switch (event.type) {
    case 'KeyIssued': {
      const d = event.data;
      return { hint: d.hint, issuedAt: t(d.issuedAt), expiresAt: tn(d.expiresAt), reason: d.reason, replaces: d.replaces };
    }
    case 'KeyRevoked': {
      const d = event.data;
      return { hint, revokedAt: t(d.revokedAt), graceEndsAt: t(d.graceEndsAt), kind: d.kind, reason: d.reason, replacedBy: d.replacedBy };
    }
    case 'ExpirationRemoved':
      return { hint, removedAt: t(event.data.removedAt) };
    case 'KeyDeleted':
      return { hint, deletedAt: t(event.data.deletedAt) };
    case 'KeyExpired':
      return { hint, expiredAt: t(event.data.expiredAt), cause: event.data.cause };
    case 'KeyRevealed':
      return { hint, revealedAt: t(event.data.revealedAt), revealRequestId: event.data.revealRequestId };
    case 'ExpiryNoticeIssued': {
      const d = event.data;
      return {
        hint,
        noticedAt: t(d.noticedAt),
        acceptUntil: t(d.acceptUntil),
        daysBefore: d.daysBefore,
        ...(d.lastUsedAt !== undefined ? { lastUsedAt: tn(d.lastUsedAt) } : {}),
      };
    }
    case 'KeyLeaked': {
      const d = event.data;
      return { hint, leakedAt: t(d.leakedAt), scanner: d.scanner, url: d.url, source: d.source, response: d.response, replacedBy: d.replacedBy };
    }
    default: {
      const unknownEvent: never = event;
      return unknownEvent;
    }
  }
}

export function toAuditEntry(record: AuditRecord, style: DateTimeStyle): AuditEntry {
  const { sub, email } = actorOfEvent(record.event);
  return {
    position: Number(record.position),
    at: formatInstant(record.at, style),
    type: record.event.type,
    keyId: record.event.data.keyId,
    actor: { sub, email },
    ...(record.requestId !== null ? { requestId: record.requestId } : {}),
    details: detailsOf(record.event, record.hint, style),
  };
}
