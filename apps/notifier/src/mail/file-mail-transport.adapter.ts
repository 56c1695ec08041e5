import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTransport } from 'nodemailer';
import { MailDeliveryError, MailTransport, OutgoingMail, SentMail } from './mail-transport.port';

/**
 * The embedded mode's mailbox: each message is built by nodemailer exactly as SMTP would carry it
 * and written as an `.eml` file (any mail client opens it). The folder and files are private to
 * the user (0700/0600): reveal codes are in them, as they would be in a mailbox.
 */
export class FileMailTransport implements MailTransport {
  private readonly composer = createTransport({ streamTransport: true, buffer: true, newline: 'unix' });

  constructor(
    readonly directory: string,
    private readonly from: string,
  ) {}

  async send(mail: OutgoingMail): Promise<SentMail> {
    try {
      const info = await this.composer.sendMail({
        from: this.from,
        to: [...mail.to],
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        messageId: mail.messageId,
        headers: { ...mail.headers },
      });
      await mkdir(this.directory, { recursive: true, mode: 0o700 });
      const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${fileSafe(mail.messageId)}.eml`;
      const file = join(this.directory, name);
      // Written aside then renamed: a reader never sees half a message.
      const partial = `${file}.partial`;
      await writeFile(partial, info.message as Buffer, { mode: 0o600 });
      await rename(partial, file);
      return { messageId: mail.messageId, accepted: [...mail.to], rejected: [], file };
    } catch (error) {
      throw new MailDeliveryError(`could not write the mail file: ${(error as Error).message}`, false);
    }
  }

  async close(): Promise<void> {
    /* nothing held open */
  }
}

const fileSafe = (messageId: string): string => messageId.replace(/[<>]/g, '').replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80);
