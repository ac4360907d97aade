/**
 * The key a client address is counted under. IPv4 addresses are their own key; IPv6 clients are
 * counted per /64, the block a single home or phone is given, so that cycling through the
 * addresses of one's own block does not give a new allowance each time.
 */
import ipaddr from 'ipaddr.js';

export function addressKeyOf(ip: string | null): string {
  if (!ip) return 'unknown';
  // Not IPv6 (an IPv4 address, or whatever a trusted proxy forwarded): counted as it is.
  if (!ip.includes(':')) return ip;
  let address: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    address = ipaddr.parse(ip);
  } catch {
    return ip;
  }
  if (address.kind() === 'ipv6') {
    const v6 = address as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) return v6.toIPv4Address().toString();
    return `${v6.parts
      .slice(0, 4)
      .map((part) => part.toString(16))
      .join(':')}::/64`;
  }
  return address.toString();
}
