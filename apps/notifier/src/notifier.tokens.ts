import type { OrgSettingsReader } from '@keywarden/contracts';
import type { MailTransport } from './mail/mail-transport.port';

export const NOTIFIER_LOGGER = Symbol('NOTIFIER_LOGGER');
export const NOTIFIER_OPTIONS = Symbol('NOTIFIER_OPTIONS');
export const NOTIFICATION_BOX = Symbol('NOTIFICATION_BOX');

export type NotifierOptions = Readonly<{
  /** Kafka consumer group, and the namespace of the "already sent" records. @default config NOTIFIER_GROUP_ID */
  groupId?: string;
  /** @default config NOTIFIER_MAX_SEND_ATTEMPTS */
  maxSendAttempts?: number;
  /** @default config NOTIFIER_RETRY_FOR_MS */
  retryForMs?: number;
  /** How long a send may hold its claim on an event before another instance may take over. @default 60_000 */
  claimTtlMs?: number;
  /** @default the Infrastructure's reader of the settings topic */
  settings?: OrgSettingsReader;
  /** @default SMTP when SMTP_URL is set, else `.eml` files under KEYWARDEN_DATA_DIR/mail */
  transport?: MailTransport;
  /**
   * Runs after a message was sent and recorded, before its offset is committed: the tests' way
   * to stop a notifier at the worst moment. Never set in production.
   */
  afterDelivery?: (eventId: string) => Promise<void>;
}>;
