// A call's output (SyscallResult.out) as the trace keeps it (TraceCallOutput): what a
// differential run compares beyond the return value. Read data is kept as its length and a short
// hash (scripts read zeros; the hash still tells two different contents apart).

import { createHash } from 'node:crypto';
import type { SyscallRequest, SyscallResult } from '../targets/target.js';
import { toHex } from '../wire/bytes.js';
import type { TraceCallOutput } from './types.js';

export function traceOutput(req: SyscallRequest, result: SyscallResult): TraceCallOutput | undefined {
  const out = result.out;
  if (!out || result.ret < 0) return undefined;
  switch (out.kind) {
    case 'data': {
      const sha = createHash('sha256').update(out.data).digest('hex').slice(0, 12);
      return {
        kind: 'data', len: out.data.length, sha,
        ...(out.flags !== undefined ? { flags: out.flags } : {}),
        ...(out.addr ? { addr: out.addr } : {}),
        ...(out.control ? { controlLen: out.control.length } : {}),
      };
    }
    case 'addr': return { kind: 'addr', addr: out.addr };
    case 'opt': {
      const asked = req.name === 'getsockopt' ? { level: req.level, optname: req.optname } : req.name === 'ioctl' ? { request: req.request } : {};
      return { kind: 'opt', ...asked, optlen: out.optlen, value: toHex(out.value), ...(out.buffers ? { buffers: out.buffers.map(toHex) } : {}) };
    }
    case 'poll': return { kind: 'poll', revents: out.revents };
    case 'epoll': return { kind: 'epoll', events: out.events.map((e) => ({ events: e.events, data: e.data.toString() })) };
    case 'fds': return { kind: 'fds', fds: out.fds };
  }
}
