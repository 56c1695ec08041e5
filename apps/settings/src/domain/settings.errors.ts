import { DomainError } from '@keywarden/contracts';

/** Refusals of the settings domain. */
export type SettingsErrorCode = 'INVALID_SETTINGS' | 'OPERATOR_ONLY_SETTING';

export class SettingsError extends DomainError<SettingsErrorCode> {}
