import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';
import { z } from 'zod';

/** Tells a request's client address: the socket's, or the one a trusted proxy forwarded. */
export type ClientAddress = (req: IncomingMessage) => string | undefined;

/**
 * The client's address as a service behind the edge may believe it (the router's HTTP, the
 * bridge's OCPP upgrades). With no trusted proxies it is the socket's peer, whatever
 * X-Forwarded-For says. Behind an edge (its addresses or CIDRs) X-Forwarded-For is walked from
 * the right, hop by hop, for as long as the hop that handed it on is trusted (proxy-addr,
 * Express's rule): the first untrusted address is the client. Entries a client wrote into the
 * header itself sit left of that and are never reached, and a direct caller, not being trusted,
 * is taken at its socket's word.
 */
export function clientAddressResolver(trustedProxies: readonly string[]): ClientAddress {
  if (trustedProxies.length === 0) return (req) => req.socket.remoteAddress;
  const trust = proxyaddr.compile([...trustedProxies]);
  return (req) => (req.socket.remoteAddress ? proxyaddr(req, trust) : undefined);
}

/**
 * Whether a peer is one of the trusted proxies: for a protocol that has no X-Forwarded-For (YKC's
 * TCP, where the edge speaks the PROXY protocol instead). Never true with an empty list.
 */
export function trustedProxyPredicate(trustedProxies: readonly string[]): (address: string | undefined) => boolean {
  if (trustedProxies.length === 0) return () => false;
  const trust = proxyaddr.compile([...trustedProxies]);
  return (address) => (address ? trust(address, 0) : false);
}

/** Checks a trusted-proxies list: the problem with the first entry proxy-addr refuses, or null. */
export function trustedProxiesProblem(list: readonly string[]): string | null {
  try {
    proxyaddr.compile([...list]);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/** A `<SERVICE>_TRUSTED_PROXIES` variable: comma-separated addresses or CIDRs, checked at start-up. */
export function trustedProxiesField() {
  return z
    .string()
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean),
    )
    .superRefine((list, ctx) => {
      const problem = trustedProxiesProblem(list);
      if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `addresses or CIDRs: ${problem}` });
    });
}
