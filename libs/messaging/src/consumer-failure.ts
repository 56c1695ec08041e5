// The failure policy both adapters share (STYLE.md §8): poison → dead-letter topic then commit; anything
// else → not committed, redelivered after a bounded exponential backoff, forever, without skipping ahead.
import { deadLetterTopic } from '@keywarden/contracts';
import { IncomingMessage, OutgoingMessage, PoisonMessageError } from './message-bus.port';

/** Error codes that mean "this message will never succeed" (libs/contracts: ContractViolation, EnvelopeError). */
export const POISON_ERROR_CODES: ReadonlySet<string> = new Set(['POISON_MESSAGE', 'CONTRACT_VIOLATION', 'BAD_ENVELOPE']);

export function isPoisonError(error: unknown): boolean {
  if (error instanceof PoisonMessageError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && POISON_ERROR_CODES.has(code);
}

export type RetryBackoff = Readonly<{
  /** Delay before the first redelivery. @default 100 */
  initialDelayMs?: number;
  /** The delay doubles at each failure up to this bound. @default 5000 */
  maxDelayMs?: number;
}>;

/** Delay before redelivery number `attempt` (1-based). */
export function retryDelayMs(attempt: number, backoff: RetryBackoff = {}): number {
  const initial = backoff.initialDelayMs ?? 100;
  const max = backoff.maxDelayMs ?? 5_000;
  return Math.min(max, initial * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
}

export const DLQ_HEADERS = {
  error: 'x-dlq-error',
  errorCode: 'x-dlq-error-code',
  sourceTopic: 'x-dlq-source-topic',
  sourcePartition: 'x-dlq-source-partition',
  sourceOffset: 'x-dlq-source-offset',
} as const;

const MAX_ERROR_LENGTH = 1_000;

export function describeError(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH)}…` : text;
}

/** The dead-letter copy of a poison message: same key, value and headers, plus where it came from and why. */
export function deadLetterOf(message: IncomingMessage, error: unknown): OutgoingMessage {
  const code = (error as { code?: unknown } | null)?.code;
  return {
    topic: deadLetterTopic(message.topic),
    key: message.key,
    value: message.value,
    headers: {
      ...message.headers,
      [DLQ_HEADERS.error]: describeError(error),
      ...(typeof code === 'string' ? { [DLQ_HEADERS.errorCode]: code } : {}),
      [DLQ_HEADERS.sourceTopic]: message.topic,
      [DLQ_HEADERS.sourcePartition]: String(message.partition),
      [DLQ_HEADERS.sourceOffset]: message.offset,
    },
  };
}
