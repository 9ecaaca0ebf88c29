// Polling a condition in tests that watch other processes (their children, namespaces, files).

/** True as soon as `cond` holds, checked every `stepMs` for at most `ms`; else its last value. */
export async function waitFor(cond: () => boolean, ms: number, stepMs = 20): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return cond();
}
