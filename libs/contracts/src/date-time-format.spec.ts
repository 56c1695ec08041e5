import { formatInstant, formatNullableInstant } from './date-time-format';

/** The definition: parse the instant as a Date and write its whole seconds in UTC. */
const byDate = (instant: string | Date): string => (typeof instant === 'string' ? new Date(instant) : instant).toISOString().slice(0, 19);

describe('formatInstant', () => {
  it('writes whole seconds in UTC, with Z or without a zone designator as the organisation chose', () => {
    expect(formatInstant('2025-11-23T12:44:11.678Z', 'iso-utc-z')).toBe('2025-11-23T12:44:11Z');
    expect(formatInstant('2025-11-23T12:44:11.678Z', 'utc-no-zone')).toBe('2025-11-23T12:44:11');
    expect(formatInstant(new Date('2025-11-23T12:44:11.678Z'), 'iso-utc-z')).toBe('2025-11-23T12:44:11Z');
    expect(formatNullableInstant(null, 'iso-utc-z')).toBeNull();
  });

  it('gives what parsing a Date gives for any instant, across leap years, month ends and centuries', () => {
    const from = Date.parse('1899-12-31T23:59:59.999Z');
    const span = Date.parse('2401-03-01T00:00:00.000Z') - from;
    let seed = 42;
    const random = (): number => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const instants = Array.from({ length: 20_000 }, () => new Date(from + Math.floor(random() * span)).toISOString());
    const monthEnds = ['1900-02-28', '2000-02-29', '2024-02-29', '2026-02-28', '2026-04-30', '2026-12-31'].map((d) => `${d}T23:59:59.999Z`);
    for (const instant of [...instants, ...monthEnds, ...instants.map((i) => `${i.slice(0, 19)}Z`)]) {
      expect([instant, formatInstant(instant, 'utc-no-zone')]).toEqual([instant, byDate(instant)]);
    }
  });

  it('reads instants that are not canonical UTC as a Date reads them: offsets, no milliseconds, days a month lacks', () => {
    for (const instant of ['2026-03-01T01:30:00+02:00', '2026-03-01T00:00:00.5Z', '2026-02-29T12:00:00.000Z', '2026-02-30T00:00:00.000Z', '1900-02-29T00:00:00.000Z', '2026-04-31T00:00:00Z']) {
      expect([instant, formatInstant(instant, 'iso-utc-z')]).toEqual([instant, `${byDate(instant)}Z`]);
    }
    expect(formatInstant('2026-02-30T00:00:00.000Z', 'iso-utc-z')).toBe('2026-03-02T00:00:00Z');
  });
});
