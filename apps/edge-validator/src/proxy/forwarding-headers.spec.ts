import type { IncomingMessage } from 'node:http';
import { ForwardingHeaders } from './forwarding-headers';

const request = (peer: string, headers: Record<string, string>): IncomingMessage =>
  ({ socket: { remoteAddress: peer }, httpVersion: '1.1', headers: { host: 'api.example', ...headers } }) as unknown as IncomingMessage;

const asObject = (pairs: string[]) => Object.fromEntries(pairs.flatMap((_, i) => (i % 2 === 0 ? [[pairs[i], pairs[i + 1]]] : [])));

const claims = { 'x-forwarded-for': '6.6.6.6', 'x-forwarded-host': 'evil.test', 'x-forwarded-proto': 'https', via: '1.1 attacker' };

describe('the forwarding headers the edge sends upstream', () => {
  it('replaces the caller’s claims when no proxy is trusted', () => {
    expect(asObject(new ForwardingHeaders([]).for(request('203.0.113.9', claims)))).toEqual({
      'X-Forwarded-For': '203.0.113.9',
      'X-Forwarded-Host': 'api.example',
      'X-Forwarded-Proto': 'http',
      Via: '1.1 keywarden-edge',
    });
  });

  it('replaces them from a peer outside EDGE_TRUSTED_PROXIES', () => {
    expect(asObject(new ForwardingHeaders(['10.0.0.0/8']).for(request('203.0.113.9', claims)))['X-Forwarded-For']).toBe('203.0.113.9');
  });

  it('extends them from a trusted proxy (CIDR, IPv4-mapped IPv6 peer)', () => {
    expect(asObject(new ForwardingHeaders(['10.0.0.0/8']).for(request('::ffff:10.1.2.3', claims)))).toEqual({
      'X-Forwarded-For': '6.6.6.6, ::ffff:10.1.2.3',
      'X-Forwarded-Host': 'evil.test',
      'X-Forwarded-Proto': 'https',
      Via: '1.1 attacker, 1.1 keywarden-edge',
    });
  });

  it('sets them from a trusted proxy that sent none', () => {
    expect(asObject(new ForwardingHeaders(['loopback']).for(request('127.0.0.1', {})))).toEqual({
      'X-Forwarded-For': '127.0.0.1',
      'X-Forwarded-Host': 'api.example',
      'X-Forwarded-Proto': 'http',
      Via: '1.1 keywarden-edge',
    });
  });
});
