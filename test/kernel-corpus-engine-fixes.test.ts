// Engine fixes found by running the corpus on the kernel, each pinned on the scripted target.

import test from 'ava';
import { pkt, runFake } from './fakes/run-helpers.js';
import type { ScriptedTarget } from './fakes/scripted-target.js';

test('a system call waits for an earlier blocking call to return before it runs (its fd may come from it)', async (t) => {
  // accept returns 5 ms after its due time (within tolerance); read(4) is due at that due time.
  const lateAccept = {
    onSyscall: (req: { name: string }, _now: number, tgt: ScriptedTarget) => {
      if (req.name === 'accept') return { at: 105_000, result: { ret: tgt.allocFd() } };
      return req.name === 'socket' ? { ret: tgt.allocFd() } : { ret: 0 };
    },
  };
  const { result, target } = await runFake(pkt('--tolerance_usecs=10000', '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3',
    '+0 bind(3, ..., ...) = 0', '+0 listen(3, 1) = 0', '+0...0.1 accept(3, ..., ...) = 4', '0.1 close(4) = 0'), lateAccept);
  t.is(result.status, 'pass', result.failure?.message);
  const close = target.calls.at(-1)!;
  t.deepEqual(close.req, { name: 'close', fd: 11 });
  t.is(close.time, 105_000);
});
