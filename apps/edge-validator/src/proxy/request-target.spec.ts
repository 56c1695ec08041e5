import { requestTargetProblem } from './request-target';

const codeOf = (target: string) => requestTargetProblem(target)?.code ?? null;

describe('the request-targets the edge forwards', () => {
  it.each(['/', '/v1/orders', '/v1/orders?page=2&q=a+b', '/files/report.v2.json', '/.well-known/x', '/a..b/c.', '/caf%C3%A9', '/a%2Fb', '/x?y=%25', '/...'])(
    'forwards %s',
    (target) => expect(codeOf(target)).toBeNull(),
  );

  it.each([
    ['*', 'ASTERISK_FORM_TARGET'],
    ['http://evil.test/x', 'ABSOLUTE_FORM_TARGET'],
    ['HTTPS://evil.test/', 'ABSOLUTE_FORM_TARGET'],
    ['evil.test:443', 'ABSOLUTE_FORM_TARGET'],
    ['admin', 'MALFORMED_URL'],
    ['/../../admin', 'DOT_SEGMENT'],
    ['/a/./b', 'DOT_SEGMENT'],
    ['/a/..', 'DOT_SEGMENT'],
    ['/%2e%2e/admin', 'DOT_SEGMENT'],
    ['/%2E./admin', 'DOT_SEGMENT'],
    ['/.%2E/admin', 'DOT_SEGMENT'],
    ['/%2e/admin', 'DOT_SEGMENT'],
    ['/a%2f..%2fadmin', 'DOT_SEGMENT'],
    ['/a\\..\\admin', 'DOT_SEGMENT'],
    ['/a%5c..%5cadmin', 'DOT_SEGMENT'],
    ['/..\\admin', 'DOT_SEGMENT'],
    ['/%252e%252e/admin', 'DOT_SEGMENT'],
    ['/%zz/keys', 'MALFORMED_URL'],
    ['/a%', 'MALFORMED_URL'],
    ['/a%2', 'MALFORMED_URL'],
    ['/a%ff', 'MALFORMED_URL'],
    ['/a%c0%ae%c0%ae/admin', 'MALFORMED_URL'],
    ['/ok?x=%zz', 'MALFORMED_URL'],
    ['/ok?x=%ff', 'MALFORMED_URL'],
  ])('refuses %s with %s', (target, code) => expect(codeOf(target)).toBe(code));

  it('says what to send instead, without echoing the target', () => {
    expect(requestTargetProblem('/%2e%2e/secret-path')?.message).not.toContain('secret-path');
  });
});
