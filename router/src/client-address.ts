import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';

/** Tells a request's client address: the socket's, or the one a trusted proxy forwarded. */
export type ClientAddress = (req: IncomingMessage) => string | undefined;

/**
 * The client's address as the router may believe it. With no trusted proxies it is the socket's
 * peer, whatever X-Forwarded-For says. Behind an edge (ROUTER_TRUSTED_PROXIES: its addresses or
 * CIDRs) X-Forwarded-For is walked from the right, hop by hop, for as long as the hop that
 * handed it on is trusted (proxy-addr, Express's rule): the first untrusted address is the
 * client. Entries a client wrote into the header itself sit left of that and are never reached,
 * and a direct caller, not being trusted, is taken at its socket's word.
 */
export function clientAddressResolver(trustedProxies: readonly string[]): ClientAddress {
  if (trustedProxies.length === 0) return (req) => req.socket.remoteAddress;
  const trust = proxyaddr.compile([...trustedProxies]);
  return (req) => (req.socket.remoteAddress ? proxyaddr(req, trust) : undefined);
}

/** Checks a list for ROUTER_TRUSTED_PROXIES: the problem with the first entry proxy-addr refuses, or null. */
export function trustedProxiesProblem(list: readonly string[]): string | null {
  try {
    proxyaddr.compile([...list]);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}
