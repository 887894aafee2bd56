// Whether an IP address is on the public internet, so that a fetched link can never reach the relay's own
// machine, its LAN or cloud metadata (169.254.169.254). Pure.
// 2026-11: ranges from IANA's special-purpose registries
// https://www.iana.org/assignments/iana-ipv4-special-registry/ and
// https://www.iana.org/assignments/iana-ipv6-special-registry/ ; IPv6 is allowed only in global unicast
// 2000::/3 (RFC 4291 §2.4), and addresses that embed an IPv4 one (IPv4-mapped ::ffff:0:0/96, NAT64
// 64:ff9b::/96 RFC 6052, 6to4 2002::/16 RFC 3056) are judged by the IPv4 address inside.
import { BlockList, isIPv4, isIPv6 } from 'node:net';

const blockedV4 = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local (cloud metadata lives here)
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and 255.255.255.255 broadcast
] as const) {
  blockedV4.addSubnet(net, prefix, 'ipv4');
}

const blockedV6 = new BlockList();
for (const [net, prefix] of [
  ['2001::', 23], // IETF protocol assignments (Teredo 2001::/32 included)
  ['2001:db8::', 32], // documentation
  ['3fff::', 20], // documentation (RFC 9637)
] as const) {
  blockedV6.addSubnet(net, prefix, 'ipv6');
}

/** The 8 groups of an IPv6 address ("::" expanded, a trailing dotted quad turned into two groups); undefined if malformed. */
export function ipv6Groups(address: string): number[] | undefined {
  let text = address.split('%')[0]!.toLowerCase(); // a zone ("fe80::1%eth0") says which interface, not where
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (quad) {
    if (!isIPv4(quad[1]!)) return undefined;
    const [a, b, c, d] = quad[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (s: string) => (s === '' ? [] : s.split(':').map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? Number.parseInt(g, 16) : Number.NaN)));
  const head = parse(halves[0]!);
  const tail = halves.length === 2 ? parse(halves[1]!) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  return groups.some(Number.isNaN) ? undefined : groups;
}

const v4From = (hi: number, lo: number): string => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;

/** The IPv4 address an IPv6 one carries (mapped, NAT64, 6to4), if any. */
function embeddedV4(g: number[]): string | undefined {
  const zeros = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  if (zeros(0, 5) && g[5] === 0xffff) return v4From(g[6]!, g[7]!); // ::ffff:a.b.c.d
  if (g[0] === 0x64 && g[1] === 0xff9b && zeros(2, 6)) return v4From(g[6]!, g[7]!); // 64:ff9b::a.b.c.d
  if (g[0] === 0x2002) return v4From(g[1]!, g[2]!); // 2002:AABB:CCDD::
  return undefined;
}

/**
 * True only for an address on the public internet. False for loopback, private (10/8, 172.16/12,
 * 192.168/16, fc00::/7), link-local (169.254/16, fe80::/10), multicast, carrier-grade NAT, documentation
 * and reserved ranges, IPv6 outside 2000::/3, and anything that is not an IP address at all.
 */
export function isPublicAddress(address: string): boolean {
  if (isIPv4(address)) return !blockedV4.check(address, 'ipv4');
  if (!isIPv6(address.split('%')[0]!)) return false;
  const g = ipv6Groups(address);
  if (!g) return false;
  const v4 = embeddedV4(g);
  if (v4 !== undefined) return isPublicAddress(v4);
  if ((g[0]! & 0xe000) !== 0x2000) return false; // not global unicast: ::1, ::, fc00::/7, fe80::/10, ff00::/8, 64:ff9b:1::/48, 100::/64 …
  const canonical = g.map((x) => x.toString(16)).join(':');
  return !blockedV6.check(canonical, 'ipv6');
}
