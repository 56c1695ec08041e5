export const OTP_HASHER = Symbol('OTP_HASHER');
export const NOTIFICATION_BOX = Symbol('NOTIFICATION_BOX');
export const REVEAL_LOGGER = Symbol('REVEAL_LOGGER');
