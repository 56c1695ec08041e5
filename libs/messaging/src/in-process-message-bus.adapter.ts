/**
 * The message bus of the embedded mode (`npm start`): the same contract as Kafka, inside one process.
 *
 * - Each topic is a partitioned, append-only log held in memory (a compacted topic keeps the latest message
 *   of each key), so `fromBeginning` replays it as Kafka would. With `durableLogPath` (npm start: `bus.sqlite`
 *   under the data folder) the logs and the groups' committed positions are also written to SQLite before
 *   `publish` resolves or a position moves, and read back at construction: a restart finds the topics and
 *   positions as Kafka would keep them (retention included), so a consumer neither misses nor re-reads.
 * - Messages of one key go to one partition (hash of the key), so one organisation's messages stay in order.
 * - A consumer group has a committed position per partition and gets every message once per group; members
 *   of one group share the partitions. Positions move only after the handler succeeds (at least once).
 * - Failures follow `consumer-failure.ts`: retriable errors are redelivered after a backoff and hold back the
 *   rest of their partition; poison messages go to the in-memory `<topic>.dlq` topic (see `readTopic`).
 *
 * `publish` resolves once the messages are appended; delivery happens afterwards, asynchronously.
 */
import { deadLetterTopic } from '@keywarden/contracts';
import { deadLetterOf, describeError, isPoisonError, RetryBackoff, retryDelayMs } from './consumer-failure';
import {
  ConsumerHandle,
  ConsumerLag,
  ConsumerOptions,
  IncomingMessage,
  MessageBus,
  MessageHandler,
  OutgoingMessage,
  PartitionOffsets,
  TopicSpec,
} from './message-bus.port';
import { MessagingLogger, stderrMessagingLogger } from './messaging-logger';
import { SqliteMessageLog } from './sqlite-message-log';

export type InProcessMessageBusOptions = Readonly<{
  /** Partitions of a topic whose spec gives none; 3 like the test broker. @default 3 */
  defaultPartitions?: number;
  /** @default { initialDelayMs: 100, maxDelayMs: 5000 } */
  retryBackoff?: RetryBackoff;
  /** @default warnings and errors on stderr */
  logger?: MessagingLogger;
  /** A SQLite file that keeps the topics and committed positions across restarts. @default none: memory only */
  durableLogPath?: string;
  /** Records of non-compacted topics older than this are dropped, and so are positions of groups idle this long (Kafka's defaults). @default 7 days */
  retentionMs?: number;
}>;

type StoredRecord = Readonly<{ offset: number; key: string; value: string; headers: Readonly<Record<string, string>>; appendedAtMs: number }>;

const DEFAULT_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;
const PRUNE_EVERY_MS = 60 * 60 * 1000;

class PartitionLog {
  private records: StoredRecord[] = [];
  private wakeUps: Array<() => void> = [];
  /** The offset the next message gets: offsets are never reused, even when compaction removes records. */
  endOffset = 0;

  append(record: StoredRecord, compacted: boolean): void {
    if (compacted) this.records = this.records.filter((r) => r.key !== record.key);
    this.records.push(Object.freeze({ ...record, headers: Object.freeze({ ...record.headers }) }));
    this.endOffset = record.offset + 1;
    const wakeUps = this.wakeUps;
    this.wakeUps = [];
    wakeUps.forEach((wake) => wake());
  }

  /** The first retained record at or after `offset` (records are sorted by offset; compaction leaves gaps). */
  recordAtOrAfter(offset: number): StoredRecord | undefined {
    let [low, high] = [0, this.records.length];
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.records[mid].offset < offset) low = mid + 1;
      else high = mid;
    }
    return this.records[low];
  }

  all(): readonly StoredRecord[] {
    return this.records;
  }

  /** Restores what the durable log held (in offset order) and the partition's end. */
  restore(records: StoredRecord[], endOffset: number): void {
    this.records = records;
    this.endOffset = Math.max(endOffset, (records.at(-1)?.offset ?? -1) + 1);
  }

  dropAppendedBefore(beforeMs: number): void {
    this.records = this.records.filter((r) => r.appendedAtMs >= beforeMs);
  }

  nextAppend(): Promise<void> {
    return new Promise((resolve) => this.wakeUps.push(resolve));
  }
}

class TopicLog {
  readonly partitions: PartitionLog[];
  constructor(
    readonly name: string,
    partitionCount: number,
    readonly compacted: boolean,
  ) {
    this.partitions = Array.from({ length: partitionCount }, () => new PartitionLog());
  }

  partitionOf(key: string): number {
    return fnv1a(key) % this.partitions.length;
  }
}

/** FNV-1a, 32 bits: a stable, well-spread hash of the key (the organisation id). */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

type Member = {
  readonly topics: ReadonlySet<string>;
  readonly handler: MessageHandler;
  readonly inFlight: Set<Promise<unknown>>;
};

const positionKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

class ConsumerGroup {
  /** Next offset to deliver, per topic-partition: the group's committed position. */
  readonly committed = new Map<string, number>();
  readonly members: Member[] = [];
  readonly workers = new Map<string, PartitionWorker>();

  constructor(readonly groupId: string) {}

  /** Partitions are spread over the members subscribed to the topic, as a Kafka assignor would. */
  ownerOf(topic: string, partition: number): Member | undefined {
    const candidates = this.members.filter((m) => m.topics.has(topic));
    return candidates.length ? candidates[partition % candidates.length] : undefined;
  }

  wakeWorkers(): void {
    this.workers.forEach((w) => w.wake());
  }
}

/** Delivers one partition to one group, message by message, never skipping a message that failed. */
class PartitionWorker {
  private interrupt: (() => void) | undefined;
  private attempt = 0;

  constructor(
    private readonly bus: InProcessMessageBus,
    private readonly group: ConsumerGroup,
    private readonly log: TopicLog,
    private readonly partition: number,
  ) {}

  wake(): void {
    this.interrupt?.();
  }

  async run(): Promise<void> {
    const key = positionKey(this.log.name, this.partition);
    const partitionLog = this.log.partitions[this.partition];
    for (;;) {
      const owner = this.bus.isClosed ? undefined : this.group.ownerOf(this.log.name, this.partition);
      if (!owner) break;
      const record = partitionLog.recordAtOrAfter(this.group.committed.get(key) ?? 0);
      if (!record) {
        await this.interruptible(partitionLog.nextAppend());
        continue;
      }
      const message: IncomingMessage = {
        topic: this.log.name,
        partition: this.partition,
        offset: String(record.offset),
        key: record.key,
        value: record.value,
        headers: { ...record.headers },
      };
      const outcome = await this.deliver(owner, message);
      if (outcome === 'retry') {
        this.attempt += 1;
        await this.interruptible(sleep(retryDelayMs(this.attempt, this.bus.retryBackoff)));
        continue;
      }
      this.attempt = 0;
      this.bus.commit(this.group, this.log.name, this.partition, record.offset + 1);
    }
    this.group.workers.delete(key);
  }

  private async deliver(owner: Member, message: IncomingMessage): Promise<'done' | 'retry'> {
    // Tracked so that stop() can wait for the handler in progress, as a Kafka consumer does.
    const handled = Promise.resolve().then(() => owner.handler(message));
    owner.inFlight.add(handled);
    try {
      await handled;
      return 'done';
    } catch (error) {
      const where = { groupId: this.group.groupId, topic: message.topic, partition: message.partition, offset: message.offset };
      if (isPoisonError(error)) {
        this.bus.logger.error('poison message: dead-lettered', { ...where, error: describeError(error) });
        this.bus.appendDeadLetter(message, error);
        return 'done';
      }
      this.bus.logger.warn('message handler failed: will redeliver', { ...where, attempt: this.attempt + 1, error: describeError(error) });
      return 'retry';
    } finally {
      owner.inFlight.delete(handled);
    }
  }

  private async interruptible(wait: Promise<void>): Promise<void> {
    await Promise.race([wait, new Promise<void>((resolve) => (this.interrupt = resolve))]);
    this.interrupt = undefined;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref?.());

export class InProcessMessageBus implements MessageBus {
  readonly logger: MessagingLogger;
  readonly retryBackoff: RetryBackoff;
  private readonly defaultPartitions: number;
  private readonly topics = new Map<string, TopicLog>();
  private readonly groups = new Map<string, ConsumerGroup>();
  private readonly handles = new Set<ConsumerHandle>();
  private closed = false;
  private readonly durable?: SqliteMessageLog;
  private readonly retentionMs: number;
  private readonly pruneTimer?: NodeJS.Timeout;
  /** Positions read back from the durable log, for groups that have not subscribed yet in this process. */
  private readonly savedPositions = new Map<string, Map<string, number>>();

  constructor(options: InProcessMessageBusOptions = {}) {
    this.logger = options.logger ?? stderrMessagingLogger;
    this.retryBackoff = options.retryBackoff ?? {};
    this.defaultPartitions = options.defaultPartitions ?? 3;
    this.retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
    if (options.durableLogPath) {
      this.durable = new SqliteMessageLog(options.durableLogPath);
      this.restore(this.durable);
      this.pruneTimer = setInterval(() => this.prune(), PRUNE_EVERY_MS);
      this.pruneTimer.unref();
    }
  }

  private restore(durable: SqliteMessageLog): void {
    durable.prune(Date.now() - this.retentionMs);
    for (const topic of durable.topics()) {
      const log = new TopicLog(topic.name, topic.partitions, topic.compacted);
      const byPartition = log.partitions.map((): StoredRecord[] => []);
      for (const r of durable.records(topic.name)) byPartition[r.partition]?.push(Object.freeze({ ...r, headers: Object.freeze({ ...r.headers }) }));
      log.partitions.forEach((p, i) => p.restore(byPartition[i], topic.ends[i] ?? 0));
      this.topics.set(topic.name, log);
    }
    for (const position of durable.positions()) {
      let positions = this.savedPositions.get(position.groupId);
      if (!positions) this.savedPositions.set(position.groupId, (positions = new Map()));
      positions.set(positionKey(position.topic, position.partition), position.next);
    }
  }

  private prune(): void {
    if (!this.durable || this.closed) return;
    const now = Date.now();
    try {
      for (const group of this.groups.values()) if (group.members.length > 0) this.durable.touchGroup(group.groupId, now);
      this.durable.prune(now - this.retentionMs);
      for (const log of this.topics.values()) if (!log.compacted) log.partitions.forEach((p) => p.dropAppendedBefore(now - this.retentionMs));
    } catch (error) {
      this.logger.warn('the durable message log could not be pruned: retried in an hour', { error: describeError(error) });
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  async ensureTopics(specs: TopicSpec[]): Promise<void> {
    for (const spec of specs) {
      const partitions = spec.partitions ?? this.defaultPartitions;
      this.createTopic(spec.topic, partitions, spec.compacted ?? false);
      // Dead letters are kept in full, never compacted: each one is a separate incident.
      this.createTopic(deadLetterTopic(spec.topic), partitions, false);
    }
  }

  async publish(messages: OutgoingMessage[]): Promise<void> {
    this.assertOpen();
    // All or nothing: an unknown topic fails the call before anything is appended.
    messages.forEach((m) => this.topicLog(m.topic));
    for (const m of messages) this.append(m);
  }

  async subscribe(options: ConsumerOptions): Promise<ConsumerHandle> {
    this.assertOpen();
    const logs = options.topics.map((t) => this.topicLog(t));
    let group = this.groups.get(options.groupId);
    if (!group) {
      group = new ConsumerGroup(options.groupId);
      this.groups.set(options.groupId, group);
      for (const [key, next] of this.savedPositions.get(options.groupId) ?? []) group.committed.set(key, next);
      this.savedPositions.delete(options.groupId);
      this.durable?.touchGroup(options.groupId, Date.now());
    }
    // Starting positions are fixed now, so a message published after subscribe() resolves is delivered;
    // they are committed (as the Kafka adapter does), so a restart before the first message starts there too.
    for (const log of logs) {
      log.partitions.forEach((partitionLog, partition) => {
        const key = positionKey(log.name, partition);
        if (!group.committed.has(key)) this.commit(group, log.name, partition, options.fromBeginning ? 0 : partitionLog.endOffset);
      });
    }
    const member: Member = { topics: new Set(options.topics), handler: options.handler, inFlight: new Set() };
    group.members.push(member);
    group.wakeWorkers();
    for (const log of logs) log.partitions.forEach((_, partition) => this.ensureWorker(group, log, partition));

    let stopped: Promise<void> | undefined;
    const handle: ConsumerHandle = {
      stop: () => {
        stopped ??= (async () => {
          const index = group.members.indexOf(member);
          if (index >= 0) group.members.splice(index, 1);
          this.handles.delete(handle);
          group.wakeWorkers();
          await Promise.allSettled([...member.inFlight]);
        })();
        return stopped;
      },
    };
    this.handles.add(handle);
    return handle;
  }

  /** Immediate: the log is in this process. */
  async partitionOffsets(topic: string): Promise<PartitionOffsets[]> {
    return this.topicLog(topic).partitions.map((p, partition) => ({
      partition,
      start: String(p.all()[0]?.offset ?? p.endOffset),
      end: String(p.endOffset),
    }));
  }

  /** Per group with a member: its committed position against the end of each partition's log. */
  async consumerLag(): Promise<ConsumerLag[]> {
    const lags: ConsumerLag[] = [];
    for (const group of this.groups.values()) {
      const topics = new Set(group.members.flatMap((m) => [...m.topics]));
      for (const topic of topics) {
        this.topicLog(topic).partitions.forEach((log, partition) => {
          const committed = group.committed.get(positionKey(topic, partition)) ?? log.endOffset;
          lags.push({ groupId: group.groupId, topic, partition, lag: Math.max(0, log.endOffset - committed) });
        });
      }
    }
    return lags;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.pruneTimer);
    await Promise.all([...this.handles].map((h) => h.stop()));
    this.durable?.close();
  }

  /** Every retained message of a topic (e.g. a `.dlq` topic), partition by partition, in offset order. */
  readTopic(topic: string): IncomingMessage[] {
    const log = this.topicLog(topic);
    return log.partitions.flatMap((p, partition) =>
      p.all().map((r) => ({ topic, partition, offset: String(r.offset), key: r.key, value: r.value, headers: { ...r.headers } })),
    );
  }

  /** @internal used by the partition workers: the group's position moves, durably first when the log is. */
  commit(group: Readonly<{ groupId: string; committed: Map<string, number> }>, topic: string, partition: number, next: number): void {
    this.durable?.commit(group.groupId, topic, partition, next, Date.now());
    group.committed.set(positionKey(topic, partition), next);
  }

  /** @internal used by the partition workers */
  appendDeadLetter(message: IncomingMessage, error: unknown): void {
    const deadLetter = deadLetterOf(message, error);
    if (!this.topics.has(deadLetter.topic)) this.createTopic(deadLetter.topic, this.topicLog(message.topic).partitions.length, false);
    this.append(deadLetter);
  }

  private append(message: OutgoingMessage): void {
    const log = this.topicLog(message.topic);
    const partition = log.partitionOf(message.key);
    const partitionLog = log.partitions[partition];
    const record: StoredRecord = { offset: partitionLog.endOffset, key: message.key, value: message.value, headers: message.headers, appendedAtMs: Date.now() };
    // Durable first: a record the SQLite write refused is not delivered either.
    this.durable?.append(log.name, { ...record, partition }, log.compacted);
    partitionLog.append(record, log.compacted);
  }

  private ensureWorker(group: ConsumerGroup, log: TopicLog, partition: number): void {
    const key = positionKey(log.name, partition);
    if (group.workers.has(key)) return;
    const worker = new PartitionWorker(this, group, log, partition);
    group.workers.set(key, worker);
    worker.run().catch((error) => this.logger.error('in-process consumer crashed', { groupId: group.groupId, error: describeError(error) }));
  }

  private createTopic(topic: string, partitions: number, compacted: boolean): void {
    if (this.topics.has(topic)) return;
    this.durable?.createTopic(topic, partitions, compacted);
    this.topics.set(topic, new TopicLog(topic, partitions, compacted));
  }

  private topicLog(topic: string): TopicLog {
    const log = this.topics.get(topic);
    if (!log) throw new Error(`topic ${topic} does not exist: create it with ensureTopics() first`);
    return log;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the message bus is closed');
  }
}
