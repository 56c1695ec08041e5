import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DAY_MS } from './clock.port';
import { DEVELOPMENT_CLOCK_FILE, developmentClock, DevelopmentClockError } from './development-clock';
import { ManualClock } from './manual-clock.adapter';
import { ScaledClock } from './scaled-clock.adapter';

const T0 = '2026-12-05T09:00:00.000Z';
const MINUTE = 60_000;

describe('ScaledClock', () => {
  it('runs speed times faster than its source from its anchor: at 1440, a day a minute', () => {
    const real = new ManualClock(T0);
    const clock = new ScaledClock({ realMs: Date.parse(T0), clockMs: Date.parse(T0), speed: 1440 });
    const scaled = new ScaledClock(clock.anchor, real);
    expect(scaled.now().toISOString()).toBe(T0);
    real.advance(MINUTE);
    expect(scaled.now().getTime() - Date.parse(T0)).toBe(DAY_MS);
    real.advance(7 * MINUTE);
    expect(scaled.now().toISOString()).toBe('2026-12-13T09:00:00.000Z');
  });

  it('never goes back when its source does', () => {
    const real = new ManualClock(T0);
    const scaled = new ScaledClock({ realMs: Date.parse(T0), clockMs: Date.parse(T0), speed: 60 }, real);
    real.advance(-MINUTE);
    expect(scaled.now().toISOString()).toBe(T0);
  });

  it('changes speed without a jump', () => {
    const real = new ManualClock(T0);
    const fast = new ScaledClock({ realMs: Date.parse(T0), clockMs: Date.parse(T0), speed: 1440 }, real);
    real.advance(MINUTE);
    const slower = fast.reanchored(60);
    expect(slower.now()).toEqual(fast.now());
    real.advance(MINUTE);
    expect(slower.now().getTime() - Date.parse(T0)).toBe(DAY_MS + 60 * MINUTE);
  });
});

describe('developmentClock (KEYWARDEN_DEV_CLOCK_SPEED) of a data folder', () => {
  let dataDir: string;
  beforeEach(() => (dataDir = mkdtempSync(join(tmpdir(), 'kw-dev-clock-'))));
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('is the system clock when unset on a folder that never ran fast', () => {
    const real = new ManualClock(T0);
    expect(developmentClock(dataDir, null, real)).toBe(real);
  });

  it('keeps its anchor in the data folder: a restart or a change of speed continues from the instant reached', () => {
    const real = new ManualClock(T0);
    const first = developmentClock(dataDir, 1440, real);
    real.advance(10 * MINUTE);
    expect(first.now().toISOString()).toBe('2026-12-15T09:00:00.000Z');
    expect(JSON.parse(readFileSync(join(dataDir, DEVELOPMENT_CLOCK_FILE), 'utf8'))).toEqual({ realMs: Date.parse(T0), clockMs: Date.parse(T0), speed: 1440 });

    // A restart with the same speed: the same instant, not real time again.
    const restarted = developmentClock(dataDir, 1440, real);
    expect(restarted.now()).toEqual(first.now());
    // Another speed: from the instant reached.
    const realPace = developmentClock(dataDir, 1, real);
    expect(realPace.now().toISOString()).toBe('2026-12-15T09:00:00.000Z');
    real.advance(MINUTE);
    expect(realPace.now().toISOString()).toBe('2026-12-15T09:01:00.000Z');
  });

  it('refuses, naming the variable, to run a folder that ran fast on real time (its events lie ahead of it)', () => {
    const real = new ManualClock(T0);
    developmentClock(dataDir, 1440, real);
    real.advance(MINUTE);
    expect(() => developmentClock(dataDir, null, real)).toThrow(DevelopmentClockError);
    expect(() => developmentClock(dataDir, null, real)).toThrow(
      /^configuration variable KEYWARDEN_DEV_CLOCK_SPEED is not set, but the data folder .* ran with it \(its clock is at 2026-12-06T09:00:00.000Z, ahead of real time\): set KEYWARDEN_DEV_CLOCK_SPEED again/,
    );
  });

  it('refuses an anchor file that is not one', () => {
    writeFileSync(join(dataDir, DEVELOPMENT_CLOCK_FILE), '{"speed":"fast"}');
    expect(() => developmentClock(dataDir, 60, new ManualClock(T0))).toThrow(/KEYWARDEN_DEV_CLOCK_SPEED cannot be applied: .* is not a development clock anchor/);
  });
});
