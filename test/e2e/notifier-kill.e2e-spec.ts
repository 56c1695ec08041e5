import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { loadConfig } from '@keywarden/config';
import { Topics } from '@keywarden/contracts';
import { Infrastructure } from '@keywarden/platform';
import { DedicatedBroker } from '../support/dedicated-broker';
import { ensureBuilt, ServiceProcess } from '../support/service-process';
import { ReceivedMail, SmtpTestServer } from '../support/smtp-test-server';
import { revealCodeMessage } from '../support/reveal-code-message';
import { waitFor } from '../support/wait-for';

// Issue 4: "a notifier killed after sending and before committing does not send it again", with a real
// crash. The notifier runs as an OS process on a Kafka broker of this test's own. The moment the SMTP
// server has the mail (before it answers 250), the broker's JVM is frozen (SIGSTOP), so the offset commit
// that follows the send cannot complete; once the notifier has recorded the event as sent in Redis, it is
// killed (SIGKILL), then the still frozen broker too, which is restarted on its data (see below why not
// SIGCONT). A second notifier of the same group and namespace gets the uncommitted message again and
// must skip it.
jest.setTimeout(180_000);

const header = (mail: ReceivedMail, name: string): string | undefined => {
  const value = mail.headers.get(name.toLowerCase());
  return value === undefined ? undefined : String(value);
};

/** The state letter of /proc/<pid>/stat: "T" once a SIGSTOP took effect. */
function processState(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
}

type LogLine = { msg?: string; eventId?: string };
const parsed = (lines: string[]): LogLine[] =>
  lines.flatMap((l) => {
    try {
      return [JSON.parse(l) as LogLine];
    } catch {
      return [];
    }
  });

describe('a notifier process killed after sending a mail and before committing its offset', () => {
  const namespace = `e2e-nk-${randomUUID().slice(0, 8)}`;
  const org = `${namespace}-org`;
  const groupId = 'notifier-kill';
  const dataDir = mkdtempSync(join(tmpdir(), 'keywarden-e2e-notifier-kill-'));
  const broker = new DedicatedBroker();
  const smtp = new SmtpTestServer();
  const processes: ServiceProcess[] = [];
  let frozen = false;
  let infra: Infrastructure | undefined;
  let redis: Redis | undefined;
  let env: Record<string, string>;

  const sentKey = (eventId: string) => `kw:${namespace}:notifier:${groupId}:sent:${eventId}`;
  const received = (eventId: string) => smtp.messages.filter((m) => header(m, 'x-keywarden-event-id') === eventId);

  async function freezeBroker(): Promise<void> {
    process.kill(broker.pid, 'SIGSTOP');
    frozen = true;
    await waitFor(() => processState(broker.pid) === 'T', { timeoutMs: 5_000, intervalMs: 5, description: 'the broker JVM to be stopped' });
  }

  function thawBroker(): void {
    if (!frozen) return;
    process.kill(broker.pid, 'SIGCONT');
    frozen = false;
  }

  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  async function crashAndRestartBroker(): Promise<void> {
    process.kill(broker.pid, 'SIGKILL');
    await waitFor(() => !alive(broker.pid), { timeoutMs: 10_000, description: 'the frozen broker to die' });
    frozen = false;
    broker.start();
  }

  /** The notifier group's committed offset on the notifications topic (one partition holds the organisation's messages). */
  async function committedOffset(): Promise<{ committed: number; high: number }> {
    const admin = new Kafka({ brokers: broker.brokers.split(','), clientId: 'notifier-kill-offsets', logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const topic = `${namespace}.${Topics.notifications}`;
      const ends = await admin.fetchTopicOffsets(topic);
      const [{ partitions }] = await admin.fetchOffsets({ groupId: `${namespace}.${groupId}`, topics: [topic] });
      const used = ends.find((p) => Number(p.high) > 0)!;
      return { committed: Number(partitions.find((p) => p.partition === used.partition)!.offset), high: Number(used.high) };
    } finally {
      await admin.disconnect();
    }
  }

  function startNotifier(): ServiceProcess {
    const notifier = new ServiceProcess('notifier', env).start();
    processes.push(notifier);
    return notifier;
  }

  /** A RevealCodeIssued on the notifications topic, sealed with the key material the processes share. */
  async function publishCode(): Promise<string> {
    const code = String(100_000 + Math.floor(Math.random() * 900_000));
    const { id, message } = revealCodeMessage({ orgId: org, box: infra!.keyMaterial().notificationBox, code, issuedAt: new Date() });
    await infra!.messageBus().publish([message]);
    return id;
  }

  beforeAll(async () => {
    ensureBuilt();
    broker.start();
    await smtp.start();
    env = {
      KAFKA_BROKERS: broker.brokers,
      REDIS_URL: process.env.REDIS_URL!,
      SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
      KEYWARDEN_DATA_DIR: dataDir,
      KEYWARDEN_NAMESPACE: namespace,
      NOTIFIER_GROUP_ID: groupId,
      LOG_LEVEL: 'info',
    };
    // The test's own view of the deployment: same data folder (so the same KEK seals the codes), same namespace.
    infra = new Infrastructure(loadConfig({ ...env, KEYWARDEN_DEV_SHARED_DATA_DIR: 'true', LOG_LEVEL: 'warn' }), 'notifier-kill-test');
    infra.keyMaterial(); // generated here, before any notifier starts, so every process loads the same
    await infra.messageBus().ensureTopics([{ topic: Topics.notifications }]);
    redis = new Redis(process.env.REDIS_URL!);
  }, 120_000);

  afterAll(async () => {
    smtp.onReceived = undefined;
    thawBroker();
    for (const p of processes) await p.kill().catch(() => undefined);
    await infra?.close().catch(() => undefined);
    if (redis) {
      const keys = await redis.keys(`kw:${namespace}:*`).catch(() => [] as string[]);
      if (keys.length) await redis.del(...keys).catch(() => undefined);
      redis.disconnect();
    }
    await smtp.stop();
    broker.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('does not send the mail again: the redelivery is skipped, and the next message is sent once', async () => {
    const first = startNotifier();
    await first.waitForLog(/notifier consuming the lifecycle and notification topics/, 60_000);

    let eventId = '';
    smtp.onReceived = async (mail) => {
      if (header(mail, 'x-keywarden-event-id') !== eventId) return;
      smtp.onReceived = undefined;
      // Before the 250: the notifier has not yet recorded the mail, nor tried to commit.
      await freezeBroker();
    };
    eventId = await publishCode();

    await waitFor(() => received(eventId).length === 1 && frozen, { timeoutMs: 30_000, description: 'the mail to reach the SMTP server and the broker to freeze' });
    await waitFor(async () => (await redis!.exists(sentKey(eventId))) === 1, { timeoutMs: 15_000, description: `the sent record ${sentKey(eventId)}` });
    expect(processState(broker.pid)).toBe('T');
    await first.kill();
    expect(first.running).toBe(false);
    // Not SIGCONT: the notifier wrote its OffsetCommit to the frozen broker's socket before it died, and a
    // thawed broker reads and applies it (tried: the message is then never redelivered). The broker dies
    // frozen, with that request unread, and comes back on the same ports and data.
    await crashAndRestartBroker();
    const committed = await committedOffset();
    expect(committed.committed).toBe(committed.high - 1); // the mail's message is the one not committed

    // Same group, same namespace: the uncommitted message comes back, and is recognised as sent.
    const second = startNotifier();
    await waitFor(() => parsed(second.lines).find((l) => l.msg === 'already sent: not sent again' && l.eventId === eventId), {
      timeoutMs: 90_000,
      description: `the second notifier to skip ${eventId}`,
    }).catch((e: Error) => {
      throw new Error(`${e.message}\nfirst notifier:\n${first.lines.join('\n')}\nsecond notifier:\n${second.lines.join('\n')}`);
    });
    expect(parsed(first.lines).some((l) => l.msg === 'already sent: not sent again')).toBe(false);

    // And it goes on: a message published after the restart is sent once.
    const next = await publishCode();
    await waitFor(() => received(next).length === 1, { timeoutMs: 30_000, description: 'the next mail' });
    await waitFor(() => parsed(second.lines).some((l) => l.msg === 'mail sent' && l.eventId === next), { timeoutMs: 15_000, description: 'the second notifier to log the next mail' });
    expect(received(eventId)).toHaveLength(1);
    expect(received(next)).toHaveLength(1);
    expect(parsed(second.lines).some((l) => l.msg === 'mail sent' && l.eventId === eventId)).toBe(false);
  });
});
