/** Every time decision goes through this port, so tests can move time instead of sleeping. */
export interface Clock {
  now(): Date;
}

export const CLOCK = Symbol('CLOCK');

export const DAY_MS = 24 * 60 * 60 * 1000;
