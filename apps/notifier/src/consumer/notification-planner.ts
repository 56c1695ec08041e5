import { Actor, dateTimeStyleOf, KeyRingEvent, OrgSettings, SCANNER_ACTOR_PREFIX } from '@keywarden/contracts';
import { RenderedMail } from '../messages/mail-body';
import {
  expirationRemovedMail,
  expiryNoticeMail,
  keyIssuedMail,
  keyLeakedMail,
  keyRevokedMail,
  keyRotatedMail,
} from '../messages/notification-messages';
import { RingContext } from './ring-context';

export type PlannedMail = RenderedMail & Readonly<{ to: readonly string[]; headers?: Readonly<Record<string, string>> }>;

export type Plan = Readonly<{ kind: 'send'; mail: PlannedMail }> | Readonly<{ kind: 'skip'; reason: string }>;

/**
 * Lifecycle events that people are told about. A rotation records KeyIssued then KeyRevoked: one
 * mail, on the KeyRevoked, which knows both keys. KeyExpired, KeyDeleted and KeyRevealed are
 * records for the audit, not news (the revoke or notice already said when the key stops).
 */
const isScannerActor = (actor: Actor): boolean => actor.sub.startsWith(SCANNER_ACTOR_PREFIX);

export function isNotified(event: KeyRingEvent): boolean {
  switch (event.type) {
    case 'KeyIssued':
      return event.data.replaces === null;
    case 'KeyRevoked':
      // A revoke a secret scanner's report caused is told by the KeyLeaked that follows it: one mail.
      return !isScannerActor(event.data.actor);
    case 'KeyLeaked':
    case 'ExpirationRemoved':
    case 'ExpiryNoticeIssued':
      return true;
    default:
      return false;
  }
}

/** The organisation's notification addresses, else every admin who acted on the ring. */
export function recipientsOf(settings: OrgSettings, ring: RingContext): readonly string[] {
  return settings.notificationEmails.length > 0 ? settings.notificationEmails : ring.contacts;
}

export function planLifecycleMail(event: KeyRingEvent, ring: RingContext, settings: OrgSettings): Plan {
  if (!isNotified(event)) return { kind: 'skip', reason: `${event.type} is not notified` };
  const to = recipientsOf(settings, ring);
  if (to.length === 0) return { kind: 'skip', reason: 'no recipient: no notification address is set and no admin with an email address acted on the ring' };
  const rendered = render(event, ring, settings);
  return rendered ? { kind: 'send', mail: { ...rendered, to } } : { kind: 'skip', reason: `the key of this ${event.type} is no longer in the ring` };
}

function render(event: KeyRingEvent, ring: RingContext, settings: OrgSettings): RenderedMail | null {
  const style = dateTimeStyleOf(settings.isoUtcTimestamps);
  const { orgId } = event.data;
  const key = ring.keys.get(event.data.keyId);
  if (!key) return null;
  switch (event.type) {
    case 'KeyIssued':
      return keyIssuedMail({ orgId, keyHint: key.hint, issuedAt: event.data.issuedAt, expiresAt: event.data.expiresAt, issuedBy: event.data.actor.email }, style);
    case 'KeyRevoked': {
      const replacement = event.data.replacedBy ? ring.keys.get(event.data.replacedBy) ?? null : null;
      if (event.data.kind === 'scheduled' && replacement) {
        return keyRotatedMail(
          {
            orgId,
            oldHint: key.hint,
            oldAcceptUntil: event.data.graceEndsAt,
            newHint: replacement.hint,
            newExpiresAt: replacement.expiresAt,
            rotatedAt: event.data.revokedAt,
            oldLastUsedAt: event.data.lastUsedAt,
          },
          style,
        );
      }
      return keyRevokedMail(
        {
          orgId,
          hint: key.hint,
          revokedBy: event.data.actor.email,
          revokedAt: event.data.revokedAt,
          graceEndsAt: event.data.graceEndsAt,
          reason: event.data.reason,
          newHint: replacement?.hint ?? null,
          newExpiresAt: replacement?.expiresAt ?? null,
        },
        style,
      );
    }
    case 'ExpirationRemoved':
      return expirationRemovedMail({ orgId, hint: key.hint, removedBy: event.data.actor.email, removedAt: event.data.removedAt }, style);
    case 'ExpiryNoticeIssued': {
      const replacement = key.replacedBy ? ring.keys.get(key.replacedBy) ?? null : null;
      return expiryNoticeMail(
        {
          orgId,
          hint: key.hint,
          acceptUntil: event.data.acceptUntil,
          noticedAt: event.data.noticedAt,
          lastUsedAt: event.data.lastUsedAt,
          replacementHint: replacement?.hint ?? null,
          replacementExpiresAt: replacement?.expiresAt ?? null,
        },
        style,
      );
    }
    case 'KeyLeaked': {
      const d = event.data;
      const replacement = d.replacedBy ? ring.keys.get(d.replacedBy) ?? null : null;
      return keyLeakedMail(
        {
          orgId,
          hint: key.hint,
          leakedAt: d.leakedAt,
          scanner: d.scanner,
          url: d.url,
          source: d.source,
          response: d.response,
          newHint: replacement?.hint ?? null,
          newExpiresAt: replacement?.expiresAt ?? null,
        },
        style,
      );
    }
    default:
      return null;
  }
}
