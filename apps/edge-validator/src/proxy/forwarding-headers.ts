/**
 * The forwarding fields the edge sends upstream (X-Forwarded-For/Host/Proto, Via). A caller's own
 * values are claims anybody can make: they are replaced, so the upstream's view of the client is
 * the edge's. Only when the direct peer is a proxy the operator trusts (EDGE_TRUSTED_PROXIES) are
 * its values kept and extended, as each hop of a chain of proxies does.
 */
import type { IncomingMessage } from 'node:http';
import proxyAddr from 'proxy-addr';

/** How the edge names itself in Via (RFC 9110 §7.6.3). */
const VIA_NAME = 'keywarden-edge';

export class ForwardingHeaders {
  private readonly trusted: ((address: string, hop: number) => boolean) | null;

  /** `trustedProxies`: addresses, CIDRs or proxy-addr's names (loopback, linklocal, uniquelocal); empty = trust none. */
  constructor(trustedProxies: readonly string[]) {
    this.trusted = trustedProxies.length > 0 ? proxyAddr.compile([...trustedProxies]) : null;
  }

  /** Whether a request from `address` (the socket's peer) comes from a trusted proxy. */
  trusts(address: string | undefined): boolean {
    return address !== undefined && this.trusted !== null && this.trusted(address, 0);
  }

  /** [name, value, …] to add to the upstream request; the caller's own were dropped by upstreamRequestHeaders. */
  for(req: IncomingMessage): string[] {
    const peer = req.socket.remoteAddress ?? '';
    const via = `${req.httpVersion} ${VIA_NAME}`;
    if (!this.trusts(req.socket.remoteAddress)) {
      return ['X-Forwarded-For', peer, 'X-Forwarded-Host', req.headers.host ?? '', 'X-Forwarded-Proto', 'http', 'Via', via];
    }
    const { 'x-forwarded-for': forwardedFor, 'x-forwarded-host': forwardedHost, 'x-forwarded-proto': forwardedProto, via: earlierVia } = req.headers;
    return [
      'X-Forwarded-For',
      forwardedFor ? `${forwardedFor}, ${peer}` : peer,
      'X-Forwarded-Host',
      single(forwardedHost) ?? req.headers.host ?? '',
      'X-Forwarded-Proto',
      single(forwardedProto) ?? 'http',
      'Via',
      earlierVia ? `${earlierVia}, ${via}` : via,
    ];
  }
}

/** Node joins repeated X-Forwarded-Host/Proto with ", "; the first is the one the client's proxy saw. */
const single = (value: string | string[] | undefined): string | undefined => {
  const first = (Array.isArray(value) ? value[0] : value)?.split(',')[0].trim();
  return first ? first : undefined;
};
