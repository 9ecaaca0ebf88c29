// The deterministic byte pattern each side sends: byte i of a stream is (i + seed) mod 251. A
// prime period means an offset error of anything but a multiple of 251 shows; a different seed
// per direction means a reflected stream does not pass. The python app (kernel-app.ts) computes
// the same bytes.

export const PERIOD = 251;
/** Seed of the stream the bundled stack sends (kernel → stack uses KERNEL_SEED). */
export const STACK_SEED = 0;
export const KERNEL_SEED = 100;

export function patternByte(seed: number, offset: number): number {
  return (offset + seed) % PERIOD;
}

/** `length` pattern bytes starting at stream offset `start`. */
export function patternChunk(seed: number, start: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (start + i + seed) % PERIOD;
  return out;
}

/** Offset (within `data`) of the first byte that differs from the pattern at `start`, or -1. */
export function firstMismatch(seed: number, start: number, data: Uint8Array): number {
  for (let i = 0; i < data.length; i++) if (data[i] !== (start + i + seed) % PERIOD) return i;
  return -1;
}
