import { HOP_BY_HOP_HEADERS, PROXY_REBUILT_HEADERS } from './http-headers';
import { requestIdHeaderProblem, settingsProblems } from './settings.rules';

describe('the requestIdHeader rule', () => {
  it.each(['X-Customer-Request-Id', 'X-Trace-Id', 'X-Request-ID', 'Request-Id', 'x-correlation-id', 'Acceptance-Id', 'Contentful-Id', 'Cookies-Seen'])(
    'accepts %s',
    (name) => expect(requestIdHeaderProblem(name)).toBeNull(),
  );

  it('refuses every header the edge drops or rebuilds, in any case (one shared definition)', () => {
    for (const name of [...HOP_BY_HOP_HEADERS, ...PROXY_REBUILT_HEADERS]) {
      for (const spelling of [name, name.toUpperCase()]) expect({ spelling, problem: requestIdHeaderProblem(spelling) }).toEqual({ spelling, problem: expect.stringContaining(`cannot be ${spelling}`) });
    }
  });

  it.each(['X_Keywarden_Org', 'x_keywarden-key_id', 'X-KEYWARDEN_ANYTHING'])('refuses %s: `_` is read as `-`, so it collides with an identity header', (name) =>
    expect(requestIdHeaderProblem(name)).toMatch(/cannot start with X-Keywarden-/),
  );

  it.each(['X_Forwarded_For', 'Transfer_Encoding', 'X_Original_URL', 'x-rewrite_url', 'X-Original-URI'])('refuses %s, a proxy or URL-override header in either spelling', (name) =>
    expect(requestIdHeaderProblem(name)).toMatch(new RegExp(`^requestIdHeader cannot be ${name}: that header `)),
  );

  it.each<[string, RegExp]>([
    ['Set-Cookie', /carries credentials or cookies/],
    ['set-cookie2', /carries credentials or cookies/],
    ['WWW-Authenticate', /carries credentials or cookies/],
    ['Proxy-Connection', /controls the connection/],
    ['Content-Type', /controls the connection or the framing/],
    ['Content-Security-Policy', /controls the connection or the framing/],
    ['Proxy-Anything', /controls the connection/],
    ['Forwarded', /is set by the proxy/],
    ['X-Forwarded-For', /is set by the proxy/],
    ['X-Forwarded-Port', /is set by the proxy/],
    ['Via', /is set by the proxy/],
    ['Expect', /controls the connection/],
    ['Location', /meaning to browsers/],
    ['Refresh', /meaning to browsers/],
    ['Origin', /meaning to browsers/],
    ['Referer', /meaning to browsers/],
    ['Sec-Fetch-Site', /meaning to browsers/],
    ['Access-Control-Allow-Origin', /meaning to browsers/],
    ['Cross-Origin-Resource-Policy', /meaning to browsers/],
    ['Strict-Transport-Security', /meaning to browsers/],
    ['Cache-Control', /meaning to browsers/],
  ])('refuses %s, saying why and what to choose instead', (name, why) => {
    const problem = requestIdHeaderProblem(name);
    expect(problem).toMatch(new RegExp(`^requestIdHeader cannot be ${name}: that header `));
    expect(problem).toMatch(why);
    expect(problem).toMatch(/echoed on the response.*choose a name such as X-Customer-Request-Id/);
  });

  it('refuses Keywarden’s own headers with their own message', () => {
    expect(requestIdHeaderProblem('X-Keywarden-Org')).toMatch(/cannot start with X-Keywarden-/);
    expect(requestIdHeaderProblem('x-keywarden-anything')).toMatch(/cannot start with X-Keywarden-/);
  });

  it('is the rule settingsProblems applies', () => {
    expect(settingsProblems({ requestIdHeader: 'Set-Cookie' })).toEqual([requestIdHeaderProblem('Set-Cookie')]);
    expect(settingsProblems({ requestIdHeader: 'X-Trace-Id' })).toEqual([]);
  });
});

describe('leakedKeyAction', () => {
  it('takes "revoke" or "notify" and refuses anything else', () => {
    expect(settingsProblems({ leakedKeyAction: 'revoke' })).toEqual([]);
    expect(settingsProblems({ leakedKeyAction: 'notify' })).toEqual([]);
    expect(settingsProblems({ leakedKeyAction: 'delete' })).toEqual(['leakedKeyAction must be "revoke" or "notify" (got "delete")']);
  });
});
