import { ValidateFunction } from 'ajv';
import { KEY_RING_EVENT_SCHEMAS, KEY_RING_EVENT_TYPES, KeyRingEvent } from './key-ring.events';
import { ajv, ContractViolation, describeErrors } from './validation';

const validators = new Map<string, ValidateFunction>(
  KEY_RING_EVENT_TYPES.map((type) => [
    type,
    ajv.compile(KEY_RING_EVENT_SCHEMAS[type]),
  ]),
);

export const isKeyRingEventType = (type: string): type is KeyRingEvent['type'] => validators.has(type);

/**
 * Validates a key-ring event at a process boundary (Kafka consumer, store reader) and returns it
 * typed. Throws ContractViolation, which consumers treat as poison (dead-letter), never retriable.
 */
export function parseKeyRingEvent(type: string, data: unknown): KeyRingEvent {
  const validate = validators.get(type);
  if (!validate) throw new ContractViolation(`event type "${type}"`, ['is not a key-ring event']);
  if (!validate(data)) throw new ContractViolation(`${type} event`, describeErrors(validate.errors));
  return { type, data } as KeyRingEvent;
}
