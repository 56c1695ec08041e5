import { Clock } from './clock.port';
import { SystemClock } from './system-clock.adapter';

/** Where a scaled clock stands: at real instant `realMs` it read `clockMs`, and runs `speed` times faster from there. */
export type ScaledClockAnchor = Readonly<{ realMs: number; clockMs: number; speed: number }>;

/**
 * A clock that runs `speed` times faster than its source (development only: watching rotation,
 * notices and expiry happen in minutes). A source that steps back never moves it back.
 */
export class ScaledClock implements Clock {
  constructor(
    readonly anchor: ScaledClockAnchor,
    private readonly source: Clock = new SystemClock(),
  ) {}

  now(): Date {
    const elapsed = Math.max(0, this.source.now().getTime() - this.anchor.realMs);
    return new Date(this.anchor.clockMs + Math.round(elapsed * this.anchor.speed));
  }

  /** The same instant now, another speed from here on: a change of speed neither jumps nor goes back. */
  reanchored(speed: number): ScaledClock {
    return new ScaledClock({ realMs: this.source.now().getTime(), clockMs: this.now().getTime(), speed }, this.source);
  }
}
