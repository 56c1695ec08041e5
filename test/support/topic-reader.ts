import { randomUUID } from 'node:crypto';
import type { IncomingMessage, MessageBus } from '@keywarden/messaging';

export type TopicReader = Readonly<{ messages: IncomingMessage[]; stop: () => Promise<void> }>;

/**
 * What a test observes on topics: every message, in a group of its own, kept in `messages`. The
 * services consume through `@EventPattern` handlers; a test reads the bus directly, as a bystander.
 */
export async function readTopics(
  bus: MessageBus,
  options: Readonly<{ topics: string[]; fromBeginning?: boolean; groupPrefix?: string; accept?: (message: IncomingMessage) => boolean }>,
): Promise<TopicReader> {
  const messages: IncomingMessage[] = [];
  const handle = await bus.subscribe({
    groupId: `${options.groupPrefix ?? 'reader'}-${randomUUID()}`,
    topics: options.topics,
    fromBeginning: options.fromBeginning ?? false,
    handler: async (message) => {
      if (options.accept?.(message) ?? true) messages.push(message);
    },
  });
  return { messages, stop: () => handle.stop() };
}
