import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

/** One ajv instance for every contract schema: compiled once, shared by all consumers. */
export const ajv = addFormats(new Ajv({ allErrors: true, strict: true, removeAdditional: false }), [
  'date-time',
  'email',
  'uuid',
]);

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
