// Syscall arguments packetdrill accepts (issue 15, rule 8): a NULL buffer is a NULL pointer, so
// the stack answers EFAULT; an address-family constant in place of a sockaddr is a sockaddr of
// that family. The lowering is checked on a scripted target, the answers on the bundled stack
// (tcp/data/null-buffer.pkt runs the same calls against Linux).

import test from 'ava';
import type { SyscallRequest } from '../src/targets/target.js';
import { pkt, runFake } from './fakes/run-helpers.js';
import { newStack } from './stack-harness.js';

const SOCKET = '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3';

test('a NULL buffer is lowered as a NULL pointer of the written length', async (t) => {
  const { target } = await runFake(pkt(SOCKET, '+0 write(3, NULL, 1000) = 1000', '+0 send(3, NULL, 10, 0) = 10', '+0 sendto(3, NULL, 5, 0, ..., ...) = 5', '+0 write(3, ..., 7) = 7'));
  const [, write, send, sendto, plain] = target.calls.map((c) => c.req) as Array<Extract<SyscallRequest, { name: 'write' | 'send' | 'sendto' }>>;
  t.like(write, { name: 'write', nullData: true });
  t.is(write!.data.length, 1000);
  t.like(send, { name: 'send', nullData: true });
  t.like(sendto, { name: 'sendto', nullData: true });
  t.is(plain!.nullData, undefined);
});

test('an address-family constant in place of a sockaddr is a sockaddr of that family', async (t) => {
  const { target, result } = await runFake(pkt(SOCKET, '+0 sendto(3, ..., 0, MSG_FASTOPEN, AF_UNSPEC, ...) = 0', '+0 connect(3, AF_INET, ...) = 0'));
  t.is(result.status, 'pass', result.failure?.message);
  const [, sendto, connect] = target.calls.map((c) => c.req) as [SyscallRequest, Extract<SyscallRequest, { name: 'sendto' }>, Extract<SyscallRequest, { name: 'connect' }>];
  t.deepEqual(sendto.addr, new Uint8Array(16), 'AF_UNSPEC: family 0, nothing else set, the size of the script family\'s sockaddr');
  const inet = new Uint8Array(16);
  inet[0] = 2;
  t.deepEqual(connect.addr, inet);
  t.is(connect.addrLen, 16);
});

test('the bundled stack answers a NULL buffer with EFAULT and AF_UNSPEC on MSG_FASTOPEN with EOPNOTSUPP', async (t) => {
  const stack = newStack();
  const fd = (await stack.syscall({ name: 'socket', domain: 2, type: 1, protocol: 6 })).ret;
  // Unconnected: the socket's state is checked before the buffer is read, as in Linux.
  t.like(await stack.syscall({ name: 'write', fd, data: new Uint8Array(10), flags: 0, nullData: true }), { ret: -1, errno: 'EPIPE' });
  t.like(await stack.syscall({ name: 'sendto', fd, data: new Uint8Array(0), flags: 0x20000000, addr: new Uint8Array(16) }), { ret: -1, errno: 'EOPNOTSUPP' });
});
