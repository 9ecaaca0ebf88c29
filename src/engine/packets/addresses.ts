// Script-side addresses the engine invents: a joining or announcing script address that no
// line named yet is "the highest script address so far, plus one in the last byte".

import { formatAddress, parseAddress } from '../../wire/addr.js';

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** The next script address after every one in `used` of the same family as `base`. */
export function nextScriptAddress(base: string, used: readonly string[]): string {
  const first = parseAddress(base);
  if (!first) throw new RangeError(`"${base}" is not an IP address`);
  let highest = first.bytes;
  for (const u of used) {
    const p = parseAddress(u);
    if (p && p.family === first.family && compareBytes(p.bytes, highest) > 0) highest = p.bytes;
  }
  const next = highest.slice();
  // Plus one in the last byte, carrying into the previous ones (192.0.2.255 → 192.0.3.0).
  for (let i = next.length - 1; i >= 0; i--) {
    next[i] = (next[i]! + 1) & 0xff;
    if (next[i] !== 0) break;
  }
  return formatAddress(next);
}
