// The embedded mode's mailbox: the notifier writes each message as an .eml file under
// <KEYWARDEN_DATA_DIR>/mail. Tests read them as a user would open them in a mail client.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { waitFor } from './wait-for';

export type MailFile = Readonly<{
  file: string;
  to: string[];
  subject: string;
  text: string;
  html: string | undefined;
  header(name: string): string | undefined;
}>;

export async function readMailFiles(dataDir: string): Promise<MailFile[]> {
  const dir = join(dataDir, 'mail');
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.eml')).sort();
  } catch {
    return [];
  }
  return Promise.all(
    names.map(async (name) => {
      const file = join(dir, name);
      const mail = await simpleParser(readFileSync(file));
      const to = (Array.isArray(mail.to) ? mail.to : mail.to ? [mail.to] : []).flatMap((a) => a.value.map((v) => v.address ?? ''));
      return {
        file,
        to,
        subject: mail.subject ?? '',
        text: mail.text ?? '',
        html: typeof mail.html === 'string' ? mail.html : undefined,
        header: (headerName: string) => {
          const value = mail.headers.get(headerName.toLowerCase());
          return value === undefined ? undefined : String(value);
        },
      };
    }),
  );
}

export function waitForMailFile(dataDir: string, predicate: (mail: MailFile) => boolean, timeoutMs = 10_000): Promise<MailFile> {
  return waitFor(async () => (await readMailFiles(dataDir)).find(predicate), { timeoutMs, description: 'a mail file matching the predicate' });
}

/** Mail files by the event they were sent for (X-Keywarden-Event-Id): a notification goes out once. */
export function mailsByEvent(mails: readonly MailFile[]): Map<string, MailFile[]> {
  const byEvent = new Map<string, MailFile[]>();
  for (const mail of mails) {
    const id = mail.header('x-keywarden-event-id') ?? `no-event-id:${mail.file}`;
    byEvent.set(id, [...(byEvent.get(id) ?? []), mail]);
  }
  return byEvent;
}

/** The 6-digit code of a reveal-code mail (on its own indented line in the text part). */
export function codeIn(text: string): string {
  const match = /^ {4}(\d{6})$/m.exec(text);
  if (!match) throw new Error('no code in this mail');
  return match[1];
}
