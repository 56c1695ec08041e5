import { ConsumerHandle, ConsumerLag, ConsumerOptions, MessageBus, OutgoingMessage, PartitionOffsets, TopicSpec } from './message-bus.port';

/**
 * Prefixes every topic and consumer group with a namespace, so several Keywarden deployments (or
 * test runs) share one Kafka cluster without seeing each other's messages. Handlers see the
 * un-prefixed topic names the contracts declare.
 */
export class NamespacedMessageBus implements MessageBus {
  constructor(
    private readonly inner: MessageBus,
    private readonly namespace: string,
  ) {}

  private readonly to = (topic: string): string => `${this.namespace}.${topic}`;
  private readonly from = (topic: string): string => (topic.startsWith(`${this.namespace}.`) ? topic.slice(this.namespace.length + 1) : topic);

  ensureTopics(specs: TopicSpec[]): Promise<void> {
    return this.inner.ensureTopics(specs.map((s) => ({ ...s, topic: this.to(s.topic) })));
  }

  publish(messages: OutgoingMessage[]): Promise<void> {
    return this.inner.publish(messages.map((m) => ({ ...m, topic: this.to(m.topic) })));
  }

  subscribe(options: ConsumerOptions): Promise<ConsumerHandle> {
    return this.inner.subscribe({
      ...options,
      groupId: `${this.namespace}.${options.groupId}`,
      topics: options.topics.map(this.to),
      handler: (message) => options.handler({ ...message, topic: this.from(message.topic) }),
    });
  }

  partitionOffsets(topic: string): Promise<PartitionOffsets[]> {
    return this.inner.partitionOffsets(this.to(topic));
  }

  async consumerLag(): Promise<ConsumerLag[]> {
    const prefix = `${this.namespace}.`;
    return (await this.inner.consumerLag())
      .filter((l) => l.groupId.startsWith(prefix))
      .map((l) => ({ ...l, groupId: l.groupId.slice(prefix.length), topic: this.from(l.topic) }));
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
