/**
 * The message bus port: what the services need from Kafka, and what the in-process bus of the embedded
 * mode provides the same way. Messages are always keyed by organisation id (one organisation's messages
 * stay in order) and carry the envelope in string headers (see `envelopeToHeaders` in libs/contracts).
 *
 * Delivery is at least once: a consumer may see a message again after a crash or a rebalance, so
 * consumers de-duplicate on the event id or the stream revision.
 */

export type OutgoingMessage = Readonly<{
  topic: string;
  /** The organisation id: messages with one key go to one partition, in order. */
  key: string;
  value: string;
  headers: Record<string, string>;
}>;

export type IncomingMessage = Readonly<{
  topic: string;
  partition: number;
  /** Kafka offsets are 64-bit: kept as a decimal string. */
  offset: string;
  key: string;
  value: string;
  headers: Record<string, string>;
}>;

export type TopicSpec = Readonly<{
  topic: string;
  /** @default the broker's num.partitions (3 on the test broker) */
  partitions?: number;
  /** Log compaction: only the latest message of each key is retained (e.g. settings). @default false */
  compacted?: boolean;
}>;

/** Where one partition's retained log begins and ends now. Offsets are decimal strings (64-bit). */
export type PartitionOffsets = Readonly<{
  partition: number;
  /** The offset of the first retained message (= `end` when nothing is retained). */
  start: string;
  /** The offset the next message will get: a consumer that has handled the message before it is caught up. */
  end: string;
}>;

/** How far one consumer group is behind on one partition: messages published that it has not committed yet. */
export type ConsumerLag = Readonly<{ groupId: string; topic: string; partition: number; lag: number }>;

export type MessageHandler = (message: IncomingMessage) => Promise<void>;

export type ConsumerOptions = Readonly<{
  /** One group per service and purpose: every group gets every message once. */
  groupId: string;
  topics: string[];
  /** A group with no committed position starts at the beginning of the retained log (else at its end). @default false */
  fromBeginning?: boolean;
  /**
   * Resolves when the message is handled: its position is then committed. Throw a `PoisonMessageError`
   * (or an error with code CONTRACT_VIOLATION or BAD_ENVELOPE) for a message that can never succeed: it goes
   * to `<topic>.dlq`. Any other error is retried with backoff, and later messages of that partition wait.
   * Handlers of different partitions may run concurrently; never two of one partition.
   */
  handler: MessageHandler;
}>;

export interface ConsumerHandle {
  /** Leaves the group after the handler in progress (if any) ends; uncommitted messages are redelivered later. */
  stop(): Promise<void>;
}

export interface MessageBus {
  /** Creates missing topics, each with its `.dlq` topic; tolerates topics that exist or are being created. */
  ensureTopics(specs: TopicSpec[]): Promise<void>;
  /** Resolves when every message is durably acknowledged (Kafka: acks=all). Messages of one key keep their order. */
  publish(messages: OutgoingMessage[]): Promise<void>;
  /** Resolves once the consumer has joined its group and has its starting positions. */
  subscribe(options: ConsumerOptions): Promise<ConsumerHandle>;
  /** Each partition's current start and end offsets (Kafka: the admin's fetchTopicOffsets), e.g. to know when a replay has caught up. */
  partitionOffsets(topic: string): Promise<PartitionOffsets[]>;
  /**
   * The lag of every group this bus has a running consumer of, per partition of its topics (Kafka: the
   * group's committed offsets against the log end, from the admin client; for /metrics).
   */
  consumerLag(): Promise<ConsumerLag[]>;
  /** Stops every consumer and releases the connections. */
  close(): Promise<void>;
}

export const MESSAGE_BUS = Symbol('MESSAGE_BUS');

/** A message that can never be handled (malformed, violates its contract): not retried, dead-lettered. */
export class PoisonMessageError extends Error {
  readonly code = 'POISON_MESSAGE';
  override readonly name = 'PoisonMessageError';
}
