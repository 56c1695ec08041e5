import { randomUUID } from 'node:crypto';
import { envelopeToHeaders, REVEAL_CODE_ISSUED_TYPE, revealCodeAad, RevealCodeIssued, Topics } from '@keywarden/contracts';
import type { SealedBox } from '@keywarden/crypto';
import type { OutgoingMessage } from '@keywarden/messaging';

export type RevealCodeMessageOptions = Readonly<{
  orgId: string;
  /** Seals the code as the registry does: the notification box of the processes' key material. */
  box: SealedBox;
  code: string;
  issuedAt: Date;
  /** @default issuedAt + 10 minutes */
  expiresAt?: Date;
  /** Whom the code is sealed for. @default admin@<orgId>.test */
  recipient?: string;
  /** The recipient written in the message, when a test changes it on the way. @default recipient */
  deliverTo?: string;
}>;

/** A RevealCodeIssued on the notifications topic, exactly as the registry publishes one. */
export function revealCodeMessage(options: RevealCodeMessageOptions): { id: string; revealRequestId: string; message: OutgoingMessage } {
  const revealRequestId = `rvl_${randomUUID().replace(/-/g, '')}`;
  const recipient = options.recipient ?? `admin@${options.orgId}.test`;
  const data: RevealCodeIssued = {
    orgId: options.orgId,
    keyId: 'key_0123456789abcdef0123',
    keyHint: 'kw_…abcd',
    revealRequestId,
    recipient: options.deliverTo ?? recipient,
    issuedAt: options.issuedAt.toISOString(),
    expiresAt: (options.expiresAt ?? new Date(options.issuedAt.getTime() + 600_000)).toISOString(),
    sealedCode: options.box.seal(options.code, revealCodeAad({ orgId: options.orgId, revealRequestId, recipient })),
  };
  const id = randomUUID();
  const message: OutgoingMessage = {
    topic: Topics.notifications,
    key: options.orgId,
    value: JSON.stringify(data),
    headers: envelopeToHeaders({ id, type: REVEAL_CODE_ISSUED_TYPE, source: 'test', schemaVersion: 1, orgId: options.orgId, time: data.issuedAt }),
  };
  return { id, revealRequestId, message };
}
