/**
 * A refusal of a domain: a stable `code` clients can branch on (the HTTP layer maps codes to
 * statuses in one place) and a message that says what to do next, never carrying a secret.
 */
export class DomainError<Code extends string = string> extends Error {
  constructor(
    readonly code: Code,
    message: string,
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
