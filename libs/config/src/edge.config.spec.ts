import { loadConfig } from './keywarden.config';

describe('edge configuration', () => {
  it('has defaults that need no variable', () => {
    expect(loadConfig({}).edge).toEqual({
      upstreamTimeoutMs: 30_000,
      upstreamMaxSockets: 256,
      keepAuthorization: false,
      keyCacheTtlMs: 2000,
      stalenessMs: 5000,
      keyCacheMax: 100_000,
      secretCacheMax: 10_000,
      usageFlushMs: 5000,
      rewriteMaxBytes: 1024 * 1024,
      accessLog: false,
      trustedProxies: [],
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 65_000,
    });
  });

  it('reads every variable', () => {
    const edge = loadConfig({
      EDGE_UPSTREAM_TIMEOUT_MS: '500',
      EDGE_UPSTREAM_MAX_SOCKETS: '8',
      EDGE_KEEP_AUTHORIZATION: 'true',
      EDGE_KEY_CACHE_TTL_MS: '100',
      EDGE_STALENESS_MS: '200',
      EDGE_KEY_CACHE_MAX: '10',
      EDGE_SECRET_CACHE_MAX: '20',
      EDGE_USAGE_FLUSH_MS: '50',
      EDGE_REWRITE_MAX_BYTES: '0',
      EDGE_ACCESS_LOG: 'on',
      EDGE_TRUSTED_PROXIES: ' 10.0.0.0/8, 192.168.1.7 ,loopback,::1',
      EDGE_HEADERS_TIMEOUT_MS: '2000',
      EDGE_REQUEST_TIMEOUT_MS: '5000',
      EDGE_KEEP_ALIVE_TIMEOUT_MS: '75000',
    }).edge;
    expect(edge).toEqual({
      upstreamTimeoutMs: 500,
      upstreamMaxSockets: 8,
      keepAuthorization: true,
      keyCacheTtlMs: 100,
      stalenessMs: 200,
      keyCacheMax: 10,
      secretCacheMax: 20,
      usageFlushMs: 50,
      rewriteMaxBytes: 0,
      accessLog: true,
      trustedProxies: ['10.0.0.0/8', '192.168.1.7', 'loopback', '::1'],
      headersTimeoutMs: 2000,
      requestTimeoutMs: 5000,
      keepAliveTimeoutMs: 75_000,
    });
  });

  it.each([
    [{ EDGE_UPSTREAM_TIMEOUT_MS: '0' }, 'EDGE_UPSTREAM_TIMEOUT_MS'],
    [{ EDGE_UPSTREAM_TIMEOUT_MS: '1.5' }, 'EDGE_UPSTREAM_TIMEOUT_MS'],
    [{ EDGE_STALENESS_MS: 'soon' }, 'EDGE_STALENESS_MS'],
    [{ EDGE_KEY_CACHE_TTL_MS: '9000', EDGE_STALENESS_MS: '5000' }, 'EDGE_STALENESS_MS'],
    [{ EDGE_KEEP_AUTHORIZATION: 'maybe' }, 'EDGE_KEEP_AUTHORIZATION'],
    [{ EDGE_KEY_CACHE_MAX: '-1' }, 'EDGE_KEY_CACHE_MAX'],
    [{ EDGE_TRUSTED_PROXIES: '10.0.0.0/33' }, 'EDGE_TRUSTED_PROXIES'],
    [{ EDGE_TRUSTED_PROXIES: 'proxy.internal' }, 'EDGE_TRUSTED_PROXIES'],
    [{ EDGE_HEADERS_TIMEOUT_MS: '0' }, 'EDGE_HEADERS_TIMEOUT_MS'],
    [{ EDGE_HEADERS_TIMEOUT_MS: '20000', EDGE_REQUEST_TIMEOUT_MS: '10000' }, 'EDGE_REQUEST_TIMEOUT_MS'],
    [{ EDGE_KEEP_ALIVE_TIMEOUT_MS: 'long' }, 'EDGE_KEEP_ALIVE_TIMEOUT_MS'],
  ])('refuses %p with a message naming %s', (env, variable) => {
    expect(() => loadConfig(env)).toThrow(new RegExp(`^configuration variable ${variable} `));
  });
});
