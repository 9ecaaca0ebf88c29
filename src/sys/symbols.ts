// Symbolic constants of the .pkt language, resolved once by the script model; errno names for
// reports. Values are Linux x86-64.
import { SYMBOL_TABLE, type SymbolOrigin } from './symbols-table.js';

export interface SymbolInfo {
  name: string;
  value: bigint;
  origin: SymbolOrigin;
}

const byName = new Map<string, SymbolInfo>();
for (const [name, value, origin] of SYMBOL_TABLE) byName.set(name, { name, value, origin });

/** Looks up a constant by its exact name (case-sensitive, as the upstream tools do). */
export function lookupSymbol(name: string): SymbolInfo | undefined {
  return byName.get(name);
}

export function allSymbols(): Iterable<SymbolInfo> {
  return byName.values();
}

const errnoByValue = new Map<number, string>();
for (const info of byName.values()) {
  // Errno names are the E-prefixed constants; the first name listed for a value wins
  // (EAGAIN before EWOULDBLOCK), which is how Linux's strerror tables name them too.
  if (/^E[A-Z0-9]+$/.test(info.name) && !errnoByValue.has(Number(info.value))) {
    errnoByValue.set(Number(info.value), info.name);
  }
}

/** Errno value → symbolic name, e.g. 11 → 'EAGAIN'. */
export function errnoName(value: number): string {
  return errnoByValue.get(value) ?? `E#${value}`;
}

/** Errno name → value, e.g. 'EINPROGRESS' → 115. */
export function errnoValue(name: string): number | undefined {
  const info = byName.get(name);
  return info && /^E[A-Z0-9]+$/.test(name) ? Number(info.value) : undefined;
}
