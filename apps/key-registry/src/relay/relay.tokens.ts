export const RELAY_LOGGER = Symbol('RELAY_LOGGER');
export const RELAY_OPTIONS = Symbol('RELAY_OPTIONS');
