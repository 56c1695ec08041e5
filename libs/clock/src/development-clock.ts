import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Clock } from './clock.port';
import { ScaledClock, ScaledClockAnchor } from './scaled-clock.adapter';
import { SystemClock } from './system-clock.adapter';

/** Under the data folder: the events stored there carry this clock's instants, so it goes with them. */
export const DEVELOPMENT_CLOCK_FILE = 'dev-clock.json';

export class DevelopmentClockError extends Error {
  readonly variable = 'KEYWARDEN_DEV_CLOCK_SPEED';
  constructor(problem: string) {
    super(`configuration variable KEYWARDEN_DEV_CLOCK_SPEED ${problem}`);
  }
}

function readAnchor(file: string): ScaledClockAnchor | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const anchor = JSON.parse(text) as Partial<ScaledClockAnchor>;
  if (![anchor.realMs, anchor.clockMs, anchor.speed].every((n) => typeof n === 'number' && Number.isFinite(n))) {
    throw new DevelopmentClockError(`cannot be applied: ${file} is not a development clock anchor (delete it only together with the data folder it belongs to)`);
  }
  return anchor as ScaledClockAnchor;
}

/**
 * The clock of a data folder (`KEYWARDEN_DEV_CLOCK_SPEED`, development only). Its anchor is kept in
 * the data folder, so a restart, a change of speed or a CLI on the same folder continues from the
 * instant the folder's events reached instead of going back to real time. Without a speed (null)
 * the system clock, unless the folder ran fast before: its events then lie ahead of real time, and
 * real time would run backwards through them, so that is refused with what to do.
 */
export function developmentClock(dataDir: string, speed: number | null, source: Clock = new SystemClock()): Clock {
  const file = join(dataDir, DEVELOPMENT_CLOCK_FILE);
  const stored = readAnchor(file);
  if (speed === null) {
    if (stored === null) return source;
    const at = new ScaledClock(stored, source).now().toISOString();
    throw new DevelopmentClockError(
      `is not set, but the data folder ${dataDir} ran with it (its clock is at ${at}, ahead of real time): set KEYWARDEN_DEV_CLOCK_SPEED again ` +
        '(1 continues at real pace from there), or use another KEYWARDEN_DATA_DIR',
    );
  }
  const nowMs = source.now().getTime();
  const clock = stored === null ? new ScaledClock({ realMs: nowMs, clockMs: nowMs, speed }, source) : new ScaledClock(stored, source).reanchored(speed);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(clock.anchor)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
  return clock;
}
