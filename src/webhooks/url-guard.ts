import { lookup as dnsLookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';

/** Resolves a host name to its addresses (node's dns.lookup by default; tests pass their own). */
export type Resolve = (host: string) => Promise<string[]>;

export const systemResolve: Resolve = async (host) => (await dnsLookup(host, { all: true, verbatim: true })).map((entry) => entry.address);

/** Why a URL or address was refused; undefined when it may be called. */
export type Refusal = 'not http(s)' | 'unresolvable' | 'not a public address';

/**
 * Only ordinary public unicast addresses: loopback, private (10/8, 172.16/12, 192.168/16,
 * fc00::/7), link-local (169.254/16 with cloud metadata, fe80::/10), carrier-grade NAT,
 * unspecified, multicast and reserved ranges are all refused. IPv4-mapped IPv6 is judged as IPv4.
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  return parsed.range() === 'unicast';
}

/** The host of an http(s) URL as DNS or an address literal wants it (brackets of IPv6 removed). */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/**
 * Checks a webhook URL (SSRF protection). The WHATWG URL parser already turns numeric hosts
 * such as `2130706433` or `0x7f.1` into dotted IPv4, so they are judged as the address they are.
 * Every address the name resolves to must be public: one private answer refuses the URL.
 */
export async function checkWebhookUrl(raw: string, resolve: Resolve = systemResolve): Promise<Refusal | undefined> {
  const url = parseHttpUrl(raw);
  if (!url) return 'not http(s)';
  const host = hostOf(url);
  if (ipaddr.isValid(host)) return isPublicAddress(host) ? undefined : 'not a public address';
  let addresses: string[];
  try {
    addresses = await resolve(host);
  } catch {
    return 'unresolvable';
  }
  if (addresses.length === 0) return 'unresolvable';
  return addresses.every(isPublicAddress) ? undefined : 'not a public address';
}

/** The URL when it is a valid http(s) URL. */
export function parseHttpUrl(raw: string): URL | undefined {
  try {
    const url = new URL(raw);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}
