import { createTransport } from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer';
import { MailDeliveryError, MailTransport, OutgoingMail, SentMail } from './mail-transport.port';

type SmtpError = Error & { code?: string; responseCode?: number; permanent?: boolean; response?: string; originalCode?: string };

export type SmtpMailTransportOptions = Readonly<{
  /** `smtp://` or `smtps://`, with credentials if the server needs them. */
  url: string;
  from: string;
  /** @default 10_000 */
  connectionTimeoutMs?: number;
  /** Idle socket limit while talking to the server. @default 30_000 */
  socketTimeoutMs?: number;
}>;

/**
 * nodemailer over SMTP, one connection per message (notifications are rare; a pool would hold
 * sockets open for nothing). Short timeouts keep a stuck server from holding a partition for long.
 */
export class SmtpMailTransport implements MailTransport {
  private readonly transport: Mail;

  constructor(private readonly options: SmtpMailTransportOptions) {
    this.transport = createTransport({
      url: options.url,
      connectionTimeout: options.connectionTimeoutMs ?? 10_000,
      greetingTimeout: options.connectionTimeoutMs ?? 10_000,
      socketTimeout: options.socketTimeoutMs ?? 30_000,
      logger: false,
    });
  }

  async send(mail: OutgoingMail): Promise<SentMail> {
    try {
      const info = await this.transport.sendMail({
        from: this.options.from,
        to: [...mail.to],
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        messageId: mail.messageId,
        headers: { ...mail.headers },
      });
      return {
        messageId: mail.messageId,
        accepted: (info.accepted ?? []).map(String),
        rejected: (info.rejected ?? []).map(String),
      };
    } catch (error) {
      throw toDeliveryError(error as SmtpError);
    }
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}

/** SMTP replies say what to do: 5xx (but 503) refuses this message for good; 4xx and network errors may pass later. */
function toDeliveryError(error: SmtpError): MailDeliveryError {
  const reply = error.responseCode ? `SMTP ${error.responseCode}` : (error.originalCode ?? error.code ?? 'error');
  const permanent = error.permanent === true;
  // The server's reply text names the problem; the message body is never part of an error.
  return new MailDeliveryError(`${reply}: ${(error.response ?? error.message).slice(0, 300)}`, permanent);
}
