/** One email, ready to send: text and HTML alternatives of the same content. */
export type OutgoingMail = Readonly<{
  to: readonly string[];
  subject: string;
  text: string;
  html: string;
  /**
   * Stable per event (`<eventId@keywarden>`): the rare duplicate that de-duplication cannot rule
   * out (a crash between the server's acceptance and the record) carries the same id.
   */
  messageId: string;
  headers: Readonly<Record<string, string>>;
}>;

export type SentMail = Readonly<{
  messageId: string;
  accepted: readonly string[];
  rejected: readonly string[];
  /** The embedded mode's `.eml` file. */
  file?: string;
}>;

/** Where mail goes: SMTP (nodemailer) when SMTP_URL is set, else `.eml` files under the data folder. */
export interface MailTransport {
  /** Resolves once the server accepted the message (SMTP 250) or the file is on disk; throws MailDeliveryError. */
  send(mail: OutgoingMail): Promise<SentMail>;
  close(): Promise<void>;
}

export const MAIL_TRANSPORT = Symbol('MAIL_TRANSPORT');

/** A send that failed. `permanent`: the server refused this message for good (5xx), retrying cannot help. */
export class MailDeliveryError extends Error {
  readonly code = 'MAIL_DELIVERY_FAILED';
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = 'MailDeliveryError';
  }
}
