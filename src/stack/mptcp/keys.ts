// MPTCP keys: random 64-bit, never 0 (Linux retries until token and key are usable).
import { keyIdsn, keyToken } from '../../wire/crypto.js';
import type { Prng } from '../prng.js';

export interface KeyMaterial {
  key: bigint;
  token: number;
  idsn: bigint;
}

export function generateKey(prng: Prng): KeyMaterial {
  let key = 0n;
  while (key === 0n) key = prng.next64();
  return material(key);
}

export function material(key: bigint): KeyMaterial {
  return { key, token: keyToken(key, 1), idsn: keyIdsn(key, 1) };
}
