// Text <-> bytes for IP addresses. formatAddress gives the canonical text of RFC 5952
// (lower case, longest run of zero groups as "::", IPv4-mapped as ::ffff:a.b.c.d), which is
// the form every other part of mptcpdrill compares addresses in.

export type AddressFamily = 4 | 6;

export interface ParsedAddress {
  family: AddressFamily;
  bytes: Uint8Array;
}

function parseIpv4Into(text: string, out: Uint8Array, at: number): boolean {
  const parts = text.split('.');
  if (parts.length !== 4) return false;
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p)) return false;
    const n = Number(p);
    if (n > 255) return false;
    out[at + i] = n;
  }
  return true;
}

function parseIpv6(text: string): Uint8Array | undefined {
  const out = new Uint8Array(16);
  let head = text;
  let tail = '';
  const dbl = text.indexOf('::');
  if (dbl >= 0) {
    if (text.indexOf('::', dbl + 1) >= 0) return undefined;
    head = text.slice(0, dbl);
    tail = text.slice(dbl + 2);
  }
  const headParts = head === '' ? [] : head.split(':');
  const tailParts = tail === '' ? [] : tail.split(':');
  // An embedded IPv4 address takes the last 32 bits.
  const all = dbl >= 0 ? tailParts : headParts;
  let v4Words = 0;
  const last = all[all.length - 1];
  if (last !== undefined && last.includes('.')) {
    if (!parseIpv4Into(last, out, 12)) return undefined;
    all.pop();
    v4Words = 2;
  }
  const groups = headParts.length + tailParts.length + v4Words;
  if (dbl < 0 ? groups !== 8 : groups > 7) return undefined;
  const writeGroup = (g: string, index: number): boolean => {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return false;
    const n = parseInt(g, 16);
    out[index * 2] = n >> 8;
    out[index * 2 + 1] = n & 0xff;
    return true;
  };
  for (let i = 0; i < headParts.length; i++) if (!writeGroup(headParts[i]!, i)) return undefined;
  const tailStart = 8 - v4Words - tailParts.length;
  for (let i = 0; i < tailParts.length; i++) if (!writeGroup(tailParts[i]!, tailStart + i)) return undefined;
  return out;
}

/** Parse "192.0.2.1" or any IPv6 text form; undefined when the text is no address. */
export function parseAddress(text: string): ParsedAddress | undefined {
  if (text.includes(':')) {
    const bytes = parseIpv6(text);
    return bytes ? { family: 6, bytes } : undefined;
  }
  const bytes = new Uint8Array(4);
  return parseIpv4Into(text, bytes, 0) ? { family: 4, bytes } : undefined;
}

const WORDS = new Uint16Array(8);

/** Canonical text of 4 or 16 address bytes at `offset` of `bytes`. */
export function formatAddress(bytes: Uint8Array, offset = 0, length = bytes.length - offset): string {
  if (length === 4) {
    return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
  }
  const words = WORDS;
  for (let i = 0; i < 8; i++) words[i] = (bytes[offset + i * 2]! << 8) | bytes[offset + i * 2 + 1]!;
  if (words[0] === 0 && words[1] === 0 && words[2] === 0 && words[3] === 0 && words[4] === 0 && words[5] === 0xffff) {
    return `::ffff:${formatAddress(bytes, offset + 12, 4)}`;
  }
  // Longest run of two or more zero groups, the first one on a tie (RFC 5952 §4.2).
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      s += '::';
      i += bestLen - 1;
      continue;
    }
    if (s !== '' && !s.endsWith(':')) s += ':';
    s += words[i]!.toString(16);
  }
  return s;
}

const cache = new Map<string, ParsedAddress | undefined>();

/** parseAddress with a small cache: encoders see the same few addresses over and over. */
export function parseAddressCached(text: string): ParsedAddress | undefined {
  let hit = cache.get(text);
  if (hit === undefined && !cache.has(text)) {
    if (cache.size > 4096) cache.clear();
    hit = parseAddress(text);
    cache.set(text, hit);
  }
  return hit;
}
