/** An IP address as its bytes: 4 for IPv4, 16 for IPv6. */
export interface IpAddress {
  family: 4 | 6;
  bytes: readonly number[];
}

/** A network in CIDR notation, parsed: an address and how many leading bits of it count. */
export interface Network {
  address: IpAddress;
  prefix: number;
  /** As written, for messages. */
  text: string;
}

const DOTTED = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/**
 * Parses a canonical IP address: dotted-quad IPv4, or IPv6 (brackets and a zone `%eth0` allowed, an IPv4 tail
 * too). Loose IPv4 forms (`127.1`, `0x7f.1`, `2130706433`) are not canonical: {@link canonicalHost} turns
 * them into dotted quads first, as the WHATWG URL parser (and so every URL Latchkey reads) does.
 *
 * @example
 * parseIp('::ffff:127.0.0.1'); // {family: 6, bytes: [0, …, 0xff, 0xff, 127, 0, 0, 1]}
 */
export function parseIp(text: string): IpAddress | undefined {
  const v4 = DOTTED.exec(text);
  if (v4 !== null) {
    const bytes = v4.slice(1).map(Number);
    return bytes.every((b) => b <= 255) ? { family: 4, bytes } : undefined;
  }
  let s = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  s = s.split('%', 1)[0] ?? '';
  if (!s.includes(':')) return undefined;
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const pieces = part.split(':');
    for (const [i, piece] of pieces.entries()) {
      if (i === pieces.length - 1 && piece.includes('.')) {
        const tail = parseIp(piece);
        if (tail?.family !== 4) return undefined;
        const [a = 0, b = 0, c = 0, d = 0] = tail.bytes;
        out.push((a << 8) | b, (c << 8) | d);
      } else if (/^[0-9a-f]{1,4}$/i.test(piece)) out.push(parseInt(piece, 16));
      else return undefined;
    }
    return out;
  };
  const head = groups(halves[0] ?? '');
  const tail = halves.length === 2 ? groups(halves[1] ?? '') : [];
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...new Array<number>(missing).fill(0), ...tail];
  return { family: 6, bytes: all.flatMap((g) => [g >> 8, g & 0xff]) };
}

/**
 * A URL host as the WHATWG URL parser reads it: lower case, IPv4 in any of its historic forms (`127.1`,
 * `0x7f.0.0.1`, `017700000001`, `2130706433`) as a dotted quad, IPv6 compressed in brackets. A trailing dot
 * is dropped (`localhost.` is `localhost`). Undefined when it is not a valid host.
 */
export function canonicalHost(host: string): string | undefined {
  const url = `http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}/`;
  if (!URL.canParse(url)) return undefined;
  return new URL(url).hostname.replace(/\.$/, '');
}

/**
 * Parses `10.0.0.0/8`, `fd00::/8` or a single address (a /32 or /128).
 *
 * @throws {RangeError} with a message naming the text when it is not one
 */
export function parseNetwork(text: string): Network {
  const [addressText = '', prefixText] = text.split('/');
  const address = parseIp(addressText);
  const max = address?.family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (address === undefined || !(prefix >= 0 && prefix <= max)) {
    throw new RangeError(`${JSON.stringify(text)} is not an IP address or CIDR network`);
  }
  return { address, prefix, text };
}

/** Whether `ip` lies in `network` (an IPv4 address is never in an IPv6 network, nor the other way). */
export function inNetwork(ip: IpAddress, network: Network): boolean {
  if (ip.family !== network.address.family) return false;
  for (let bit = 0; bit < network.prefix; bit += 8) {
    const bits = Math.min(8, network.prefix - bit);
    const mask = (0xff << (8 - bits)) & 0xff;
    const i = bit / 8;
    if (((ip.bytes[i] ?? 0) & mask) !== ((network.address.bytes[i] ?? 0) & mask)) return false;
  }
  return true;
}

/**
 * The IPv4 address an IPv6 address carries, if any: IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible
 * (`::a.b.c.d`, deprecated) and NAT64 (`64:ff9b::a.b.c.d`, RFC 6052). A host reached through one of these
 * is the IPv4 host, and is judged as such.
 */
export function embeddedIpv4(ip: IpAddress): IpAddress | undefined {
  if (ip.family !== 6) return undefined;
  const b = ip.bytes;
  const zeros = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  const mapped = zeros(0, 10) && b[10] === 0xff && b[11] === 0xff;
  const compatible = zeros(0, 12) && !zeros(12, 15);
  const nat64 = b[0] === 0 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zeros(4, 12);
  return mapped || compatible || nat64 ? { family: 4, bytes: b.slice(12, 16) } : undefined;
}
