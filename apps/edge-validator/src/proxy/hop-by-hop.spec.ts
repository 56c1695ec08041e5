import { downstreamResponseHeaders, upstreamRequestHeaders } from './hop-by-hop';

const names = (raw: string[]) => raw.filter((_, i) => i % 2 === 0);

describe('hop-by-hop header handling (RFC 9110 §7.6.1)', () => {
  const request = [
    'Host', 'edge.example', 'Connection', 'keep-alive, X-Secret-Hop', 'X-Secret-Hop', '1', 'Keep-Alive', 'timeout=5',
    'TE', 'trailers', 'Transfer-Encoding', 'chunked', 'Upgrade', 'h2c', 'Proxy-Authorization', 'Basic x', 'Expect', '100-continue',
    'Authorization', 'Bearer s', 'X-Keywarden-Org', 'forged', 'x-keywarden-key-id', 'forged', 'X-Forwarded-For', '10.0.0.1',
    'Forwarded', 'for=203.0.113.9;proto=https', 'X-Real-IP', '203.0.113.9', 'X-Forwarded-Port', '443', 'X-Forwarded-Prefix', '/admin',
    'Accept', 'application/json', 'Cookie', 'a=1', 'Cookie', 'b=2',
  ];

  it('drops connection-specific fields, the ones Connection names, forwarding claims, forged identity headers and the Secret', () => {
    expect(upstreamRequestHeaders(request, { keepAuthorization: false })).toEqual(['Accept', 'application/json', 'Cookie', 'a=1', 'Cookie', 'b=2']);
  });

  it('drops every spelling of the identity, URL-override, forwarding and hop-by-hop headers (`_` read as `-`, any case)', () => {
    const hostile = [
      'X_Keywarden_Org', 'forged', 'x_keywarden_key-id', 'forged', 'X-KEYWARDEN-ORG', 'forged', 'X-Original-URL', '/admin', 'x_rewrite_url', '/admin',
      'X-ORIGINAL_URI', '/admin', 'X_Forwarded_For', '10.0.0.1', 'x_real_ip', '10.0.0.1', 'Transfer_Encoding', 'chunked', 'Connection', 'X_Hop', 'x-hop', '1',
      'X-Request_Thing', 'kept',
    ];
    expect(upstreamRequestHeaders(hostile, { keepAuthorization: false })).toEqual(['X-Request_Thing', 'kept']);
  });

  it('keeps Authorization when configured to', () => {
    expect(names(upstreamRequestHeaders(request, { keepAuthorization: true }))).toContain('Authorization');
  });

  it('drops hop-by-hop fields of the response and keeps repeated end-to-end ones', () => {
    const response = ['Connection', 'close, X-Hop', 'X-Hop', '1', 'Transfer-Encoding', 'chunked', 'Keep-Alive', 'timeout=5', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'ETag', '"v"'];
    expect(downstreamResponseHeaders(response)).toEqual(['Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'ETag', '"v"']);
  });
});
