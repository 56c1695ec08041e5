/** Kafka topic names, declared once. Every message is keyed by organisation id. */
export const Topics = {
  keyLifecycle: 'keywarden.key-lifecycle.v1',
  notifications: 'keywarden.notifications.v1',
  settings: 'keywarden.settings.v1',
  keyUsage: 'keywarden.key-usage.v1',
  cacheInvalidations: 'keywarden.cache-invalidations.v1',
} as const;

export type TopicName = (typeof Topics)[keyof typeof Topics];

/** The dead-letter topic of a topic: poison messages go there with the error, then are committed. */
export const deadLetterTopic = (topic: string): string => `${topic}.dlq`;
