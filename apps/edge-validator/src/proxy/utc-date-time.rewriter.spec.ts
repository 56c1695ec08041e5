import { isJsonMediaType, rewriteJsonDateTimes, toUtcDateTime } from './utc-date-time.rewriter';

describe('UTC date-time rewriting of upstream JSON', () => {
  it.each([
    ['2025-11-23T12:44:11Z', null],
    ['2025-11-23T12:44:11', '2025-11-23T12:44:11Z'],
    ['2025-11-23T12:44', '2025-11-23T12:44:00Z'],
    ['2025-11-23T12:44:11.987654Z', '2025-11-23T12:44:11Z'],
    ['2025-11-23T14:44:11+02:00', '2025-11-23T12:44:11Z'],
    ['2025-11-23T14:44:11+0200', '2025-11-23T12:44:11Z'],
    ['2025-11-23T07:44:11-05', '2025-11-23T12:44:11Z'],
    ['2025-11-23 12:44:11', '2025-11-23T12:44:11Z'],
    ['2025-11-24T01:00:00+14:00', '2025-11-23T11:00:00Z'],
  ])('turns %s into %s (null: already in the target form)', (value, expected) => {
    expect(toUtcDateTime(value)).toBe(expected ?? value);
  });

  it.each(['2025-11-23', '12:44:11', '2025-02-30T10:00:00', '2025-13-01T10:00:00', '2025-11-23T24:00:00', 'at 2025-11-23T12:44:11', '2025-11-23T12:44:11+25:00', 'x'.repeat(20)])(
    'leaves %s alone',
    (value) => expect(toUtcDateTime(value)).toBeNull(),
  );

  it('edits only date-time values, keeping everything else byte for byte (keys, formatting, big numbers, escapes)', () => {
    const body = '{"id":12345678901234567890,\n  "2025-11-23T12:44:11": "x", "at" : "2025-11-23T14:44:11+02:00", "q":"say \\"2025-11-23T12:44:11\\"", "l":["2025-11-23T12:44:11"]}';
    expect(rewriteJsonDateTimes(Buffer.from(body))?.toString()).toBe(
      '{"id":12345678901234567890,\n  "2025-11-23T12:44:11": "x", "at" : "2025-11-23T12:44:11Z", "q":"say \\"2025-11-23T12:44:11\\"", "l":["2025-11-23T12:44:11Z"]}',
    );
  });

  it('returns null (send the original) when nothing changes or the body is not JSON', () => {
    expect(rewriteJsonDateTimes(Buffer.from('{"at":"2025-11-23T12:44:11Z","n":1}'))).toBeNull();
    expect(rewriteJsonDateTimes(Buffer.from('{"at":"2025-11-23T12:44:11"'))).toBeNull();
    expect(rewriteJsonDateTimes(Buffer.from('"2025-11-23T12:44:11"'))?.toString()).toBe('"2025-11-23T12:44:11Z"');
  });

  it('recognises JSON media types', () => {
    expect(isJsonMediaType('application/json; charset=utf-8')).toBe(true);
    expect(isJsonMediaType('application/problem+json')).toBe(true);
    expect(isJsonMediaType('text/html')).toBe(false);
    expect(isJsonMediaType(undefined)).toBe(false);
  });
});
