
/** HTTP statuses of the settings service's domain error codes (API.md). */
export const SETTINGS_STATUS_BY_CODE: Readonly<Record<string, number>> = {
  INVALID_SETTINGS: 400,
  OPERATOR_ONLY_SETTING: 403,
  CONCURRENT_CHANGE: 409,
  EVENT_STORE_UNAVAILABLE: 503,
  CONTRACT_VIOLATION: 500,
};
