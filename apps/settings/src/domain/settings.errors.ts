/**
 * Refusals of the settings domain, each with a stable `code` that the HTTP layer maps to a status
 * in one place. Messages say what to do next.
 */
export type SettingsErrorCode = 'INVALID_SETTINGS' | 'OPERATOR_ONLY_SETTING';

export class SettingsError extends Error {
  constructor(
    readonly code: SettingsErrorCode,
    message: string,
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
    this.name = 'SettingsError';
  }
}
