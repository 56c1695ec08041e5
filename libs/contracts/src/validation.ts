import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { fastFormats } from 'ajv-formats/dist/formats';

/**
 * One ajv instance for every contract schema: compiled once, shared by all consumers. Date-times
 * are checked by the RFC 3339 pattern alone (ajv-formats' fast form): the full form also parses
 * each value's calendar date, which made it most of the cost of a replay of the event store.
 */
export const ajv = addFormats(new Ajv({ allErrors: true, strict: true, removeAdditional: false }), ['email', 'uuid']).addFormat(
  'date-time',
  fastFormats['date-time'],
);

export class ContractViolation extends Error {
  readonly code = 'CONTRACT_VIOLATION';
  constructor(
    readonly what: string,
    readonly problems: string[],
  ) {
    super(`${what} does not match its contract: ${problems.join('; ')}`);
  }
}

export const describeErrors = (errors: ErrorObject[] | null | undefined): string[] =>
  (errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}`);

export function assertValid<T>(validate: ValidateFunction<T>, value: unknown, what: string): asserts value is T {
  if (!validate(value)) throw new ContractViolation(what, describeErrors(validate.errors));
}
