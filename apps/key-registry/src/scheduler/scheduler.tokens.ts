export const SCHEDULER_LOGGER = Symbol('SCHEDULER_LOGGER');
export const SCHEDULER_OPTIONS = Symbol('SCHEDULER_OPTIONS');

export type SchedulerOptions = Readonly<{
  /** Interval of the automatic ticks; 0 = none (tests call `tick()` with a ManualClock). */
  tickMs: number;
}>;
