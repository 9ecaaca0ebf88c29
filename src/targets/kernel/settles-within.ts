// Waiting for a thread or call to finish, with a limit: the limit's timer is cleared as soon as
// the wait is over, so that it does not keep the process alive after everything else is done
// (a pending 500 ms timer per thread stopped held every single kernel run open that long).

/** True when `done` settles within `ms` milliseconds, false when the limit comes first. */
export async function settlesWithin(done: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), ms); });
  try {
    return await Promise.race([done.then(() => true, () => true), limit]);
  } finally {
    clearTimeout(timer);
  }
}
