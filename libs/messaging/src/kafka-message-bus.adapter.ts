/**
 * The Kafka adapter of the MessageBus port, on kafkajs directly.
 *
 * Why not `@nestjs/microservices`' Kafka transport: the port needs four things the transport gets in the
 * way of. (1) Manual commits: an offset is committed only after the handler succeeded or the message was
 * dead-lettered; the transport's consumer auto-commits, and its manual mode still leaves redelivery of a
 * failed message to a consumer restart (`KafkaRetriableException`). (2) Dead-lettering with the source
 * topic, partition, offset and error in headers, then commit. (3) Topic creation with the admin client
 * (partitions, `cleanup.policy=compact`, the `.dlq` companions) before anyone produces or consumes; the
 * broker's auto-creation is off. (4) Raw string headers carrying the envelope, and one consumer per
 * subscription with its own group id. Nest still hosts the bus: modules bind this class to MESSAGE_BUS.
 *
 * Guarantees:
 * - Producer: idempotent, acks=all (-1), one request in flight (KIP-98's condition for keeping order
 *   across retries; kafkajs tracks sequence numbers per partition and does not reorder for more), and
 *   kafkajs's default of unlimited retries for an idempotent producer. `publish` resolves once acknowledged.
 * - Consumer: autoCommit off; offset+1 is committed after success or after dead-lettering. A retriable
 *   failure pauses the partition and seeks back to the failed message; it is fetched again after the
 *   backoff, so nothing after it in that partition is handled first, and other partitions go on.
 */
import { deadLetterTopic } from '@keywarden/contracts';
import {
  Admin,
  Consumer,
  IHeaders,
  Kafka,
  KafkaMessage,
  LogEntry,
  logLevel,
  Partitioners,
  Producer,
} from 'kafkajs';
import { deadLetterOf, describeError, isPoisonError, RetryBackoff, retryDelayMs } from './consumer-failure';
import {
  ConsumerHandle,
  ConsumerLag,
  ConsumerOptions,
  IncomingMessage,
  MessageBus,
  OutgoingMessage,
  PartitionOffsets,
  TopicSpec,
} from './message-bus.port';
import { MessagingLogger, stderrMessagingLogger } from './messaging-logger';

export type KafkaMessageBusOptions = Readonly<{
  brokers: string[];
  /** One per service, e.g. `keywarden-key-registry`: it names the connections in the broker's logs. */
  clientId: string;
  /** Receives kafkajs's own warnings and errors too (its INFO chatter is dropped). @default stderr, warnings and errors */
  logger?: MessagingLogger;
  /** @default { initialDelayMs: 100, maxDelayMs: 5000 } */
  retryBackoff?: RetryBackoff;
  /** A consumer that stops heartbeating for this long leaves its group. Broker minimum: 6000. @default 10_000 */
  sessionTimeoutMs?: number;
  /** @default 1_000 */
  heartbeatIntervalMs?: number;
  /**
   * Longest wait of one fetch when there is no data. Data arriving ends the wait at once, so this bounds only
   * how soon a paused (retrying) partition is fetched again. @default 250
   */
  maxWaitTimeMs?: number;
  /** Partitions whose handlers may run at the same time, in one consumer. @default 3 */
  partitionsConsumedConcurrently?: number;
  /** @default 30_000 */
  subscribeTimeoutMs?: number;
  /** Replicas of each topic ensureTopics creates (3 on a three-broker cluster). @default the broker's default.replication.factor */
  replicationFactor?: number;
  /**
   * min.insync.replicas of each topic ensureTopics creates: with acks=all a write succeeds only once
   * this many replicas have it (2 of 3 keeps writing with one broker down, and loses nothing acknowledged).
   * @default the broker's min.insync.replicas
   */
  minInsyncReplicas?: number;
}>;

/** kafkajs headers are Buffers, strings or arrays of them: the port's headers are single strings. */
export function decodeHeaders(headers: IHeaders | undefined): Record<string, string> {
  const decoded: Record<string, string> = {};
  for (const [name, raw] of Object.entries(headers ?? {})) {
    const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    if (value !== undefined) decoded[name] = Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
  }
  return decoded;
}

const nextOffset = (offset: string): string => (BigInt(offset) + 1n).toString();

/**
 * Some kafkajs admin calls (fetchOffsets among them) do not retry the errors that Kafka marks retriable,
 * such as NOT_COORDINATOR_FOR_GROUP while a coordinator moves or loads: retried here, a few times.
 */
type KafkaJsError = { retriable?: boolean; type?: string; name?: string; cause?: unknown; originalError?: unknown };

/**
 * kafkajs marks transient broker answers as retriable, but wraps them when its own retries run
 * out (KafkaJSNumberOfRetriesExceeded, with the cause inside): a topic another process just
 * created answers UNKNOWN_TOPIC_OR_PARTITION until its metadata has spread, which is transient.
 */
function isTransient(error: unknown, depth = 0): boolean {
  const e = error as KafkaJsError | undefined;
  if (!e || depth > 3) return false;
  if (e.retriable === true || e.type === 'UNKNOWN_TOPIC_OR_PARTITION' || e.type === 'LEADER_NOT_AVAILABLE') return true;
  return isTransient(e.cause, depth + 1) || isTransient(e.originalError, depth + 1);
}

async function retryTransient<T>(call: () => Promise<T>, attempts = 8): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= attempts || !isTransient(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, retryDelayMs(attempt, { initialDelayMs: 100, maxDelayMs: 2_000 })));
    }
  }
}

export class KafkaMessageBus implements MessageBus {
  private readonly kafka: Kafka;
  private readonly logger: MessagingLogger;
  private readonly knownTopics = new Set<string>();
  private readonly consumers = new Set<ConsumerHandle>();
  /** The topics of each running consumer, for consumerLag(). */
  private readonly subscriptions = new Map<ConsumerHandle, Readonly<{ groupId: string; topics: readonly string[] }>>();
  private admin: Promise<Admin> | undefined;
  private producer: Promise<Producer> | undefined;
  private closed = false;

  constructor(private readonly options: KafkaMessageBusOptions) {
    this.logger = options.logger ?? stderrMessagingLogger;
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      logLevel: logLevel.WARN,
      logCreator: () => (entry: LogEntry) => this.logKafkajs(entry),
    });
  }

  async ensureTopics(specs: TopicSpec[]): Promise<void> {
    const admin = await this.connectAdmin();
    const minIsr = this.options.minInsyncReplicas === undefined ? [] : [{ name: 'min.insync.replicas', value: String(this.options.minInsyncReplicas) }];
    const wanted = specs.flatMap((spec) => [
      {
        topic: spec.topic,
        numPartitions: spec.partitions ?? -1,
        configEntries: [...(spec.compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : []), ...minIsr],
      },
      // Dead letters are kept in full, never compacted: each one is a separate incident.
      { topic: deadLetterTopic(spec.topic), numPartitions: spec.partitions ?? -1, configEntries: minIsr },
    ]);
    const existing = new Set(await retryTransient(() => admin.listTopics()));
    const missing = wanted.filter((t) => !existing.has(t.topic));
    // One request per topic: kafkajs reports a batch where some topics already exist as "nothing created"
    // and then skips waiting for the leaders of the ones it did create. Another process creating the same
    // topic meanwhile is fine: createTopics resolves false on TOPIC_ALREADY_EXISTS. Waiting for the leaders
    // can fail with a retriable UNKNOWN_TOPIC_OR_PARTITION while the new topic's metadata spreads: retried.
    await Promise.all(
      missing.map((topic) =>
        retryTransient(() => admin.createTopics({ topics: [{ ...topic, replicationFactor: this.options.replicationFactor ?? -1 }], waitForLeaders: true })),
      ),
    );
    wanted.forEach((t) => this.knownTopics.add(t.topic));
  }

  async publish(messages: OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    this.assertOpen();
    await this.assertTopicsExist(messages.map((m) => m.topic));
    const producer = await this.connectProducer();
    const byTopic = new Map<string, OutgoingMessage[]>();
    for (const m of messages) byTopic.set(m.topic, [...(byTopic.get(m.topic) ?? []), m]);
    await producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, list]) => ({
        topic,
        messages: list.map((m) => ({ key: m.key, value: m.value, headers: { ...m.headers } })),
      })),
    });
  }

  async subscribe(options: ConsumerOptions): Promise<ConsumerHandle> {
    this.assertOpen();
    await this.assertTopicsExist(options.topics);
    const consumer = this.kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: this.options.sessionTimeoutMs ?? 10_000,
      heartbeatInterval: this.options.heartbeatIntervalMs ?? 1_000,
      maxWaitTimeInMs: this.options.maxWaitTimeMs ?? 250,
      allowAutoTopicCreation: false,
    });
    const retryTimers = new Set<NodeJS.Timeout>();
    const attempts = new Map<string, number>();
    let stopping = false;

    const retryLater = (message: IncomingMessage, error: unknown): void => {
      const key = `${message.topic}:${message.partition}`;
      const attempt = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, attempt);
      const delayMs = retryDelayMs(attempt, this.options.retryBackoff);
      this.logger.warn('message handler failed: will redeliver', {
        groupId: options.groupId,
        topic: message.topic,
        partition: message.partition,
        offset: message.offset,
        attempt,
        delayMs,
        error: describeError(error),
      });
      const partition = [{ topic: message.topic, partitions: [message.partition] }];
      // Pause first: kafkajs stops handing out this partition's batch right after this message returns.
      // The seek rewinds the in-memory position only (autoCommit is off), so nothing is committed past it.
      consumer.pause(partition);
      consumer.seek({ topic: message.topic, partition: message.partition, offset: message.offset });
      const timer = setTimeout(() => {
        retryTimers.delete(timer);
        if (!stopping) consumer.resume(partition);
      }, delayMs);
      retryTimers.add(timer);
    };

    const handleMessage = async (topic: string, partition: number, raw: KafkaMessage): Promise<void> => {
      const message: IncomingMessage = {
        topic,
        partition,
        offset: raw.offset,
        key: raw.key?.toString('utf8') ?? '',
        value: raw.value?.toString('utf8') ?? '',
        headers: decodeHeaders(raw.headers),
      };
      try {
        await options.handler(message);
      } catch (error) {
        if (!isPoisonError(error)) return retryLater(message, error);
        try {
          await this.publish([deadLetterOf(message, error)]);
        } catch (dlqError) {
          // Without its dead-letter copy the message must not be committed: retry it like any failure.
          return retryLater(message, dlqError);
        }
        this.logger.error('poison message: dead-lettered', {
          groupId: options.groupId,
          topic,
          partition,
          offset: message.offset,
          deadLetterTopic: deadLetterTopic(topic),
          error: describeError(error),
        });
      }
      attempts.delete(`${topic}:${partition}`);
      await consumer.commitOffsets([{ topic, partition, offset: nextOffset(raw.offset) }]);
    };

    const fromBeginning = options.fromBeginning ?? false;
    // Starting positions of a group that never committed: pinned to the current ends of the log, so a message
    // published once subscribe() has resolved is always delivered (see endOffsetsWithoutCommit).
    const pins = fromBeginning ? new Map<string, string>() : await this.endOffsetsWithoutCommit(options.groupId, options.topics);
    const joined = this.waitForFirstJoin(consumer, options.groupId, (assignment) => {
      const assigned: Array<{ topic: string; partition: number; offset: string }> = [];
      for (const [topic, partitions] of Object.entries(assignment)) {
        for (const partition of partitions) {
          const offset = pins.get(`${topic}:${partition}`);
          if (offset === undefined) continue;
          // Called synchronously inside the join, before the first fetch resolves kafkajs's own "latest".
          consumer.seek({ topic, partition, offset });
          assigned.push({ topic, partition, offset });
        }
      }
      return assigned;
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: options.topics, fromBeginning });
      await consumer.run({
        autoCommit: false,
        partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 3,
        eachMessage: ({ topic, partition, message }) => handleMessage(topic, partition, message),
      });
      const pinned = await joined.promise;
      // Committed too, so that a member taking these partitions over after a rebalance starts there as well.
      if (pinned.length) await consumer.commitOffsets(pinned);
    } catch (error) {
      joined.cancel();
      await consumer.disconnect().catch(() => undefined);
      throw error;
    }
    consumer.on(consumer.events.CRASH, ({ payload }) =>
      this.logger.error('Kafka consumer crashed', { groupId: options.groupId, restart: payload.restart, error: describeError(payload.error) }),
    );

    let stopped: Promise<void> | undefined;
    const handle: ConsumerHandle = {
      stop: () => {
        stopped ??= (async () => {
          stopping = true;
          retryTimers.forEach((t) => clearTimeout(t));
          retryTimers.clear();
          // disconnect() waits for the handler in progress, then leaves the group (a prompt rebalance).
          await consumer.disconnect();
          this.consumers.delete(handle);
          this.subscriptions.delete(handle);
        })();
        return stopped;
      },
    };
    this.consumers.add(handle);
    this.subscriptions.set(handle, { groupId: options.groupId, topics: options.topics });
    return handle;
  }

  async partitionOffsets(topic: string): Promise<PartitionOffsets[]> {
    this.assertOpen();
    await this.assertTopicsExist([topic]);
    const admin = await this.connectAdmin();
    const offsets = await retryTransient(() => admin.fetchTopicOffsets(topic));
    return offsets.map(({ partition, low, high }) => ({ partition, start: low, end: high })).sort((a, b) => a.partition - b.partition);
  }

  /**
   * Committed offsets of each group against the log ends, two admin calls per group and topic. A
   * partition the group never committed counts from the start of the retained log.
   */
  async consumerLag(): Promise<ConsumerLag[]> {
    if (this.closed || this.subscriptions.size === 0) return [];
    const admin = await this.connectAdmin();
    const groups = new Map<string, Set<string>>();
    for (const { groupId, topics } of this.subscriptions.values()) {
      const ofGroup = groups.get(groupId) ?? new Set<string>();
      topics.forEach((topic) => ofGroup.add(topic));
      groups.set(groupId, ofGroup);
    }
    const lags: ConsumerLag[] = [];
    for (const [groupId, topics] of groups) {
      const committed = await admin.fetchOffsets({ groupId, topics: [...topics] });
      for (const { topic, partitions } of committed) {
        const ends = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, o]));
        for (const { partition, offset } of partitions) {
          const end = ends.get(partition);
          if (!end) continue;
          const from = offset === '-1' ? end.low : offset;
          lags.push({ groupId, topic, partition, lag: Math.max(0, Number(BigInt(end.high) - BigInt(from))) });
        }
      }
    }
    return lags;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.consumers].map((c) => c.stop()));
    const [producer, admin] = [this.producer, this.admin];
    this.producer = this.admin = undefined;
    await Promise.allSettled([
      producer?.then((p) => p.disconnect()),
      admin?.then((a) => a.disconnect()),
    ]);
  }

  /** End offsets of the partitions in which `groupId` has no committed offset yet. */
  private async endOffsetsWithoutCommit(groupId: string, topics: string[]): Promise<Map<string, string>> {
    const admin = await this.connectAdmin();
    const pins = new Map<string, string>();
    const committed = await retryTransient(() => admin.fetchOffsets({ groupId, topics }));
    for (const { topic, partitions } of committed) {
      const uncommitted = new Set(partitions.filter((p) => Number(p.offset) < 0).map((p) => p.partition));
      if (uncommitted.size === 0) continue;
      for (const { partition, high } of await retryTransient(() => admin.fetchTopicOffsets(topic))) {
        if (uncommitted.has(partition)) pins.set(`${topic}:${partition}`, high);
      }
    }
    return pins;
  }

  /**
   * Resolves after the consumer's first join and sync (kafkajs's GROUP_JOIN, emitted synchronously inside
   * the join, before any fetch): `onJoin` runs right there and its result is what the promise resolves to.
   */
  private waitForFirstJoin<T>(
    consumer: Consumer,
    groupId: string,
    onJoin: (assignment: Record<string, number[]>) => T,
  ): { promise: Promise<T>; cancel: () => void } {
    const removers: Array<() => void> = [];
    let timer: NodeJS.Timeout | undefined;
    const cancel = (): void => {
      removers.forEach((remove) => remove());
      if (timer) clearTimeout(timer);
    };
    const promise = new Promise<T>((resolve, reject) => {
      removers.push(
        consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
          cancel();
          try {
            resolve(onJoin(payload.memberAssignment));
          } catch (error) {
            reject(error);
          }
        }),
      );
      removers.push(
        consumer.on(consumer.events.CRASH, ({ payload }) => {
          if (payload.restart) return;
          cancel();
          reject(payload.error);
        }),
      );
      const timeoutMs = this.options.subscribeTimeoutMs ?? 30_000;
      timer = setTimeout(() => {
        cancel();
        reject(new Error(`consumer of group ${groupId} did not join within ${timeoutMs} ms`));
      }, timeoutMs);
    });
    promise.catch(() => undefined);
    return { promise, cancel };
  }

  private connectAdmin(): Promise<Admin> {
    this.assertOpen();
    this.admin ??= (async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      return admin;
    })();
    this.admin.catch(() => (this.admin = undefined));
    return this.admin;
  }

  private connectProducer(): Promise<Producer> {
    this.producer ??= (async () => {
      const producer = this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        // Murmur2 on the key, as the Java client: an organisation maps to the same partition from any producer.
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      await producer.connect();
      return producer;
    })();
    this.producer.catch(() => (this.producer = undefined));
    return this.producer;
  }

  /** Fails fast on a topic nobody created: kafkajs would otherwise retry for ever (idempotent producer). */
  private async assertTopicsExist(topics: string[]): Promise<void> {
    if (topics.every((t) => this.knownTopics.has(t))) return;
    const admin = await this.connectAdmin();
    const existing = new Set(await retryTransient(() => admin.listTopics()));
    const missing = topics.filter((t) => !existing.has(t));
    if (missing.length) throw new Error(`topic(s) ${missing.join(', ')} do not exist: create them with ensureTopics() first`);
    topics.forEach((t) => this.knownTopics.add(t));
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the message bus is closed');
  }

  private logKafkajs({ namespace, level, log }: LogEntry): void {
    const { message, timestamp: _timestamp, ...fields } = log;
    const text = `kafkajs ${namespace}: ${message}`;
    // kafkajs logs every error response at ERROR, including the retriable ones it then retries (a rebalance,
    // a coordinator still loading): warnings here. What survives the retries rejects a call or crashes a consumer.
    const retriedResponse = namespace === 'Connection' && message.startsWith('Response ');
    if (level === logLevel.ERROR && !retriedResponse) this.logger.error(text, fields);
    else if (level === logLevel.WARN) this.logger.warn(text, fields);
    else this.logger.debug?.(text, fields);
  }
}
