import { DAY_MS } from '@keywarden/clock';
import { DateTimeStyle, formatInstant } from '@keywarden/contracts';
import { Block, code, facts, paragraph, renderMail, RenderedMail, warning } from './mail-body';

/**
 * The words of every notification. Pure: the caller resolves recipients, opens sealed values and
 * reads the organisation's date-time style (every instant goes through the one serializer).
 */

const WHERE_TO_COPY = 'Settings > API > API Keys: click the View icon next to the key; a one-time code is emailed to you to confirm.';

const footer = (orgId: string): string =>
  `Sent by Keywarden for organisation ${orgId}. All times are UTC. Admins choose who receives these messages under Settings > API (notification addresses).`;

const at = (instant: string, style: DateTimeStyle): string => formatInstant(instant, style);

const expiryText = (expiresAt: string | null, style: DateTimeStyle): string => (expiresAt === null ? 'never expires' : `expires at ${at(expiresAt, style)}`);

const sameInstant = (a: string, b: string): boolean => Date.parse(a) === Date.parse(b);

/** Whole days from `from` until `until`, rounded up: what is left, however late the message was decided. */
const daysLeft = (from: string, until: string): number => Math.max(1, Math.ceil((Date.parse(until) - Date.parse(from)) / DAY_MS));

const inDays = (days: number): string => (days === 1 ? 'in 1 day' : `in ${days} days`);

// Seed G: organisations without API interactions are told they can ignore the message.
const neverUsed = (hint: string): string =>
  `${hint} has never been used to call the API. If your organisation does not use the API, no action is required: you can ignore this message.`;

export type RevealCodeMail = Readonly<{ orgId: string; keyHint: string; code: string; expiresAt: string }>;

export function revealCodeMail(input: RevealCodeMail, style: DateTimeStyle): RenderedMail {
  return renderMail(
    `Your code to view API key ${input.keyHint}`,
    [
      paragraph(`Use this one-time code to view API key ${input.keyHint} of organisation ${input.orgId}:`),
      code(input.code),
      paragraph(`The code works once and expires at ${at(input.expiresAt, style)}. Enter it in the dialog that asked for it, then click Continue.`),
      paragraph(
        'If you did not ask to view this key, do not share the code with anyone, and tell your security team: someone signed in with your admin account asked for it.',
      ),
    ],
    footer(input.orgId),
  );
}

export type KeyIssuedMail = Readonly<{ orgId: string; keyHint: string; issuedAt: string; expiresAt: string | null; issuedBy: string | null }>;

export function keyIssuedMail(input: KeyIssuedMail, style: DateTimeStyle): RenderedMail {
  return renderMail(
    `New API key ${input.keyHint} issued`,
    [
      paragraph(`A new API key, ${input.keyHint}, was issued for organisation ${input.orgId}${input.issuedBy ? ` by ${input.issuedBy}` : ''}.`),
      facts(['Key', input.keyHint], ['Issued', at(input.issuedAt, style)], ['Expires', input.expiresAt === null ? 'never' : at(input.expiresAt, style)]),
      paragraph(`Paste it as the Bearer token of your API calls. To copy it later: ${WHERE_TO_COPY}`),
    ],
    footer(input.orgId),
  );
}

export type KeyRotatedMail = Readonly<{
  orgId: string;
  oldHint: string;
  /** The old key stops working then (the end of its validity); already past when the rotation came late. */
  oldAcceptUntil: string;
  newHint: string;
  newExpiresAt: string | null;
  rotatedAt: string;
  /** When the old key was last used: null = never used; undefined = not known. */
  oldLastUsedAt?: string | null;
}>;

export function keyRotatedMail(input: KeyRotatedMail, style: DateTimeStyle): RenderedMail {
  const until = at(input.oldAcceptUntil, style);
  // The rotation is due before the old key's end, but a registry down through the lead (or a lead of
  // 0) rotates at or after it: then the old key no longer works, and the mail must not say it does.
  const stopped = Date.parse(input.oldAcceptUntil) <= Date.parse(input.rotatedAt);
  const used = input.oldLastUsedAt !== null;
  const blocks: Block[] = [
    paragraph(
      stopped
        ? `As scheduled, a new API key, ${input.newHint}, was issued for organisation ${input.orgId}. It replaces ${input.oldHint}, which stopped working at ${until}, when its validity ended.`
        : `As scheduled, a new API key, ${input.newHint}, was issued for organisation ${input.orgId}. It replaces ${input.oldHint}, which keeps working until ${until} and then stops.`,
    ),
  ];
  if (stopped && used) blocks.push(warning(`${input.oldHint} already stopped working: calls made with it are refused.`));
  if (input.oldLastUsedAt === null) blocks.push(paragraph(neverUsed(input.oldHint)));
  else if (input.oldLastUsedAt !== undefined) blocks.push(paragraph(`${input.oldHint} was last used at ${at(input.oldLastUsedAt, style)}.`));
  blocks.push(
    facts(
      ['New key', `${input.newHint} (${expiryText(input.newExpiresAt, style)})`],
      ['Old key', `${input.oldHint} (${stopped ? 'stopped working' : 'stops working'} at ${until})`],
      ['Rotated', at(input.rotatedAt, style)],
    ),
  );
  if (used) {
    blocks.push(
      paragraph(
        `What to do: copy the new key and replace the old one in every system that calls the API ${stopped ? 'now' : `before ${until}`}. ${WHERE_TO_COPY}`,
      ),
    );
  }
  return renderMail(`API key rotated: ${input.newHint} replaces ${input.oldHint}`, blocks, footer(input.orgId));
}

export type KeyRevokedMail = Readonly<{
  orgId: string;
  hint: string;
  revokedBy: string | null;
  revokedAt: string;
  graceEndsAt: string;
  reason: string | null;
  newHint: string | null;
  newExpiresAt: string | null;
}>;

export function keyRevokedMail(input: KeyRevokedMail, style: DateTimeStyle): RenderedMail {
  const stoppedAtOnce = sameInstant(input.graceEndsAt, input.revokedAt);
  const blocks: Block[] = [
    paragraph(`API key ${input.hint} of organisation ${input.orgId} was revoked${input.revokedBy ? ` by ${input.revokedBy}` : ''} at ${at(input.revokedAt, style)}.`),
    stoppedAtOnce
      ? warning(`No grace period was given: ${input.hint} already stopped working. Calls made with it are refused.`)
      : paragraph(`It keeps working during its grace period, until ${at(input.graceEndsAt, style)}, and then stops.`),
  ];
  const rows: Array<readonly [string, string]> = [
    ['Revoked key', input.hint],
    ['Stops working', stoppedAtOnce ? 'already stopped' : at(input.graceEndsAt, style)],
  ];
  if (input.reason) rows.push(['Reason given', input.reason]);
  if (input.newHint) rows.push(['Replacement', `${input.newHint} (${expiryText(input.newExpiresAt, style)})`]);
  blocks.push(facts(...rows));
  if (input.newHint) {
    blocks.push(
      paragraph(
        `What to do: replace ${input.hint} with ${input.newHint} in every system that calls the API${stoppedAtOnce ? ' now' : ` before ${at(input.graceEndsAt, style)}`}. ${WHERE_TO_COPY}`,
      ),
    );
  }
  return renderMail(`API key ${input.hint} revoked`, blocks, footer(input.orgId));
}

export type ExpiryNoticeMail = Readonly<{
  orgId: string;
  hint: string;
  acceptUntil: string;
  /** When the notice was decided: the days left are counted from it (a late notice has fewer than the notice period). */
  noticedAt: string;
  /** null = never used; undefined = not known. */
  lastUsedAt: string | null | undefined;
  replacementHint: string | null;
  replacementExpiresAt: string | null;
}>;

export function expiryNoticeMail(input: ExpiryNoticeMail, style: DateTimeStyle): RenderedMail {
  const until = at(input.acceptUntil, style);
  const blocks: Block[] = [
    paragraph(`API key ${input.hint} of organisation ${input.orgId} stops working at ${until}, ${inDays(daysLeft(input.noticedAt, input.acceptUntil))}.`),
  ];
  if (input.lastUsedAt === null) {
    blocks.push(paragraph(neverUsed('This key')));
  } else if (input.lastUsedAt !== undefined) {
    blocks.push(paragraph(`It was last used at ${at(input.lastUsedAt, style)}.`));
  }
  const rows: Array<readonly [string, string]> = [
    ['Key', input.hint],
    ['Stops working', until],
  ];
  if (input.replacementHint) rows.push(['Replacement', `${input.replacementHint} (${expiryText(input.replacementExpiresAt, style)})`]);
  blocks.push(facts(...rows));
  if (input.lastUsedAt !== null) {
    blocks.push(
      paragraph(
        input.replacementHint
          ? `What to do: copy the new key ${input.replacementHint} and replace ${input.hint} with it in every system that calls the API before ${until}. ${WHERE_TO_COPY}`
          : `What to do: a new key is issued automatically by ${until}; when it is, copy it and replace ${input.hint} in every system that calls the API. To switch before ${until}, revoke ${input.hint}: the revoke issues the new key at once.`,
      ),
    );
  }
  return renderMail(`API key ${input.hint} stops working at ${until}`, blocks, footer(input.orgId));
}

export type ExpirationRemovedMail = Readonly<{ orgId: string; hint: string; removedBy: string | null; removedAt: string }>;

export function expirationRemovedMail(input: ExpirationRemovedMail, style: DateTimeStyle): RenderedMail {
  return renderMail(
    `API key ${input.hint} set to never expire`,
    [
      paragraph(
        `API key ${input.hint} of organisation ${input.orgId} was set to never expire${input.removedBy ? ` by ${input.removedBy}` : ''} at ${at(input.removedAt, style)}.`,
      ),
      warning(
        "We don't recommend doing so. The key is no longer rotated and no expiry notices will be sent for it, so if it leaks it stays usable until someone revokes it. Revoke it at once if you suspect it was exposed.",
      ),
      facts(['Key', input.hint], ['Expires', 'never']),
    ],
    footer(input.orgId),
  );
}

export type KeyLeakedMail = Readonly<{
  orgId: string;
  hint: string;
  leakedAt: string;
  scanner: string;
  url: string;
  source: string;
  response: 'revoked' | 'notified' | 'already-stopped';
  /** The replacement's hint and expiry, when one exists (issued by the revoke, or earlier). */
  newHint: string | null;
  newExpiresAt: string | null;
}>;

const SCANNER_NAMES: Readonly<Record<string, string>> = { github: 'GitHub secret scanning' };

export function keyLeakedMail(input: KeyLeakedMail, style: DateTimeStyle): RenderedMail {
  const scanner = SCANNER_NAMES[input.scanner] ?? input.scanner;
  const blocks: Block[] = [
    warning(`API key ${input.hint} of organisation ${input.orgId} was found published by ${scanner} at ${at(input.leakedAt, style)}. Anyone who saw it could call the API as your organisation.`),
    facts(['Key', input.hint], ['Found at', input.url || '(not given)'], ['Kind of place', input.source], ['Reported', at(input.leakedAt, style)]),
  ];
  const replacement = input.newHint ? `${input.newHint} (${expiryText(input.newExpiresAt, style)})` : null;
  if (input.response === 'revoked') {
    blocks.push(paragraph(`What Keywarden did: ${input.hint} was revoked at once, without a grace period: calls made with it are refused.${replacement ? ` Its replacement is ${replacement}.` : ''}`));
    if (input.newHint) blocks.push(paragraph(`What to do: put ${input.newHint} in every system that calls the API now. ${WHERE_TO_COPY}`));
  } else if (input.response === 'notified') {
    blocks.push(
      paragraph(
        `What Keywarden did: nothing yet, as your organisation's setting asks (leaked keys: notify only). ${input.hint} still works. What to do: revoke it with grace 0 days (Settings > API > API Keys: Revoke); the replacement is issued at once.`,
      ),
    );
  } else {
    blocks.push(paragraph(`What Keywarden did: nothing was needed: ${input.hint} had already stopped working.`));
  }
  blocks.push(paragraph('Then remove the key from where it was published, and check your API usage for calls you do not recognise.'));
  return renderMail(`API key ${input.hint} found published: ${input.response === 'notified' ? 'action needed' : 'revoked'}`, blocks, footer(input.orgId));
}
