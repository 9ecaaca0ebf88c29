// The kernel target's getsockopt with pointed buffers (how MPTCP_FULL_INFO reaches its arrays),
// with a plain socket option that needs no network: the call still works, each buffer comes back
// at its size, and the request's bytes are not touched. That the kernel really fills the arrays
// through the pointers is shown by the kernel corpus (mptcp/sockopt/subflow-arrays*.pkt).
import test from 'ava';
import { performSyscall } from '../src/targets/kernel/syscalls.js';

const SOL_SOCKET = 1;
const SO_TYPE = 3;

test('pointed buffers come back at their sizes; the request is left as it was', (t) => {
  const sock = performSyscall({ name: 'socket', domain: 2, type: 1, protocol: 6 });
  t.true(sock.ret >= 0, sock.errno);
  try {
    const value = new Uint8Array(24).fill(0x5a);
    const r = performSyscall({ name: 'getsockopt', fd: sock.ret, level: SOL_SOCKET, optname: SO_TYPE, optlen: 24, value, buffers: [{ at: 8, size: 12 }, { at: 16, size: 0 }] });
    t.is(r.ret, 0, r.errno);
    if (r.out?.kind !== 'opt') return t.fail('no value');
    t.is(r.out.optlen, 4);
    t.is(new DataView(r.out.value.buffer, r.out.value.byteOffset).getInt32(0, true), 1); // SOCK_STREAM
    t.deepEqual(r.out.buffers?.map((b) => b.length), [12, 0]);
    t.deepEqual([...(r.out.buffers?.[0] ?? [])], new Array(12).fill(0));
    // The request's own bytes are not modified either.
    t.deepEqual([...value], new Array(24).fill(0x5a));
  } finally {
    performSyscall({ name: 'close', fd: sock.ret });
  }
});
