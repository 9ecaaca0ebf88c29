// MPTCP keys: random 64-bit, never 0 (Linux retries until token and key are usable). The token
// and IDSN hash the key with the connection's version: SHA-256 for v1, SHA-1 for v0.
import { keyIdsn, keyToken, type MptcpVersion } from '../../wire/crypto.js';
import type { Prng } from '../prng.js';

export interface KeyMaterial {
  key: bigint;
  token: number;
  idsn: bigint;
}

export function generateKey(prng: Prng, version: MptcpVersion = 1): KeyMaterial {
  let key = 0n;
  while (key === 0n) key = prng.next64();
  return material(key, version);
}

export function material(key: bigint, version: MptcpVersion = 1): KeyMaterial {
  return { key, token: keyToken(key, version), idsn: keyIdsn(key, version) };
}
