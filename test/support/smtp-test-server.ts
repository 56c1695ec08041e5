// A real SMTP server for the tests of mail sending (the notifier's nodemailer transport talks to it over
// TCP): it keeps every accepted message, parsed, and can be switched to refuse messages to simulate failures.
import { AddressInfo } from 'node:net';
import { ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer, SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import { waitFor } from './wait-for';

export type ReceivedMail = Readonly<{
  /** SMTP envelope: MAIL FROM and RCPT TO, which may differ from the headers. */
  envelope: { from: string; to: string[] };
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string | undefined;
  /** Header names in lower case; values as mailparser gives them. */
  headers: ParsedMail['headers'];
  messageId: string | undefined;
  raw: string;
  receivedAt: Date;
}>;

export type SmtpRejection = {
  /** 4xx is a transient failure (the sender should retry), 5xx a permanent one. */
  code: number;
  message?: string;
  /** Refuse this many messages, then accept again. @default Infinity */
  times?: number;
};

type SmtpError = Error & { responseCode?: number };

const addressesOf = (field: ParsedMail['to'] | ParsedMail['from']): string[] =>
  (Array.isArray(field) ? field : field ? [field] : []).flatMap((a) => a.value.map((v) => v.address ?? ''));

export class SmtpTestServer {
  readonly messages: ReceivedMail[] = [];
  /** How many messages were refused by `rejectWith`. */
  rejected = 0;
  /**
   * Called with each message once it is stored, before the server answers 250: the sender is still
   * waiting for the reply, so a test acts at the exact moment "received, not yet acknowledged".
   */
  onReceived: ((mail: ReceivedMail) => void | Promise<void>) | undefined;
  private rejection: (SmtpRejection & { remaining: number }) | undefined;
  private server: SMTPServer | undefined;
  private address: AddressInfo | undefined;

  get host(): string {
    return '127.0.0.1';
  }

  get port(): number {
    if (!this.address) throw new Error('SmtpTestServer is not started');
    return this.address.port;
  }

  /** Options for nodemailer's createTransport, pointing here. */
  get transportOptions(): { host: string; port: number; secure: false; ignoreTLS: true } {
    return { host: this.host, port: this.port, secure: false, ignoreTLS: true };
  }

  async start(): Promise<{ host: string; port: number }> {
    const server = new SMTPServer({
      secure: false,
      // No TLS on loopback; any credentials are accepted so a transport configured with auth still works.
      disabledCommands: ['STARTTLS'],
      authOptional: true,
      allowInsecureAuth: true,
      onAuth: (auth, _session, callback) => callback(null, { user: auth.username ?? 'test' }),
      logger: false,
      onData: (stream, session, callback) => this.receive(stream, session, callback),
    });
    server.on('error', () => {
      /* a client dropping its connection is not the test's failure */
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.address = server.server.address() as AddressInfo;
    return { host: this.host, port: this.port };
  }

  /** Refuse the next messages (all of them unless `times` is given) with this SMTP reply code. */
  rejectWith(rejection: SmtpRejection): void {
    if (rejection.code < 400 || rejection.code > 599) throw new Error('an SMTP rejection is a 4xx or 5xx code');
    this.rejection = { ...rejection, remaining: rejection.times ?? Infinity };
  }

  acceptAll(): void {
    this.rejection = undefined;
  }

  clear(): void {
    this.messages.length = 0;
    this.rejected = 0;
  }

  /** Resolves with the first received message matching `predicate` (already received or still to come). */
  waitFor(predicate: (mail: ReceivedMail) => boolean, timeoutMs = 10_000): Promise<ReceivedMail> {
    return waitFor(() => this.messages.find(predicate), { timeoutMs, description: 'an email matching the predicate' });
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private receive(
    stream: SMTPServerDataStream,
    session: SMTPServerSession,
    callback: (err?: Error | null, message?: string) => void,
  ): void {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      // Refuse after DATA, as a real server does when it rejects the content or is overloaded.
      if (this.rejection && this.rejection.remaining > 0) {
        this.rejection.remaining -= 1;
        this.rejected += 1;
        const error: SmtpError = new Error(this.rejection.message ?? 'Rejected by the test SMTP server');
        error.responseCode = this.rejection.code;
        return callback(error);
      }
      const raw = Buffer.concat(chunks).toString('utf8');
      simpleParser(raw)
        .then((mail) => {
          this.messages.push({
            envelope: {
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((r) => r.address),
            },
            from: addressesOf(mail.from)[0] ?? '',
            to: addressesOf(mail.to),
            subject: mail.subject ?? '',
            text: mail.text ?? '',
            html: typeof mail.html === 'string' ? mail.html : undefined,
            headers: mail.headers,
            messageId: mail.messageId,
            raw,
            receivedAt: new Date(),
          });
          return this.onReceived?.(this.messages[this.messages.length - 1]);
        })
        .then(() => callback(null, 'Message accepted'))
        .catch((e: Error) => callback(e));
    });
  }
}
