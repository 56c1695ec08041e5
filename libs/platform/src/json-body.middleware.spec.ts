import { jsonDepthExceeds, parseJsonBody } from './json-body.middleware';

const codeOf = (text: string): string | undefined => {
  try {
    parseJsonBody(text, { maxBytes: 65_536, maxDepth: 4 });
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
};

describe('the JSON body parser of the admin services', () => {
  it('measures nesting outside strings only, escapes included', () => {
    expect(jsonDepthExceeds('{"a":[[[1]]]}', 4)).toBe(false);
    expect(jsonDepthExceeds('{"a":[[[[1]]]]}', 4)).toBe(true);
    expect(jsonDepthExceeds('{"a":"[[[[[[[[{{{{"}', 4)).toBe(false);
    expect(jsonDepthExceeds('{"a":"\\"[[[[[[","b":1}', 4)).toBe(false);
    expect(jsonDepthExceeds('['.repeat(100_000), 32)).toBe(true);
  });

  it.each([
    ['{"validity":"P7D"}', undefined],
    ['[{"a":1}]', undefined],
    ['{"a":[[[[1]]]]}', 'JSON_TOO_DEEP'],
    ['{"__proto__":{"admin":true}}', 'FORBIDDEN_JSON_KEY'],
    ['{"a":{"constructor":{"prototype":{}}}}', 'FORBIDDEN_JSON_KEY'],
    ['[{"prototype":1}]', 'FORBIDDEN_JSON_KEY'],
    ['{"__proto\\u005f_":1}', 'FORBIDDEN_JSON_KEY'],
    ['"P0D"', 'BODY_NOT_AN_OBJECT'],
    ['null', 'BODY_NOT_AN_OBJECT'],
    ['{"grace":"P0D"', 'MALFORMED_JSON'],
    ["{'grace':'P0D'}", 'MALFORMED_JSON'],
    ['{"grace":"P0D"} x', 'MALFORMED_JSON'],
  ])('%s → %s', (text, code) => {
    expect(codeOf(text)).toBe(code);
  });

  it('keeps a key that only contains a forbidden word', () => {
    expect(parseJsonBody('{"reason":"constructor","proto":"__proto__"}')).toEqual({ reason: 'constructor', proto: '__proto__' });
  });
});
