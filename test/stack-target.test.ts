// The ts target: determinism of traces, the shell stand-ins, virtual-time blocking calls.
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TsTarget } from '../src/targets/ts-target.js';
import type { NetworkConfig } from '../src/targets/target.js';
import { toHex } from '../src/wire/codec.js';
import { call, F, MPC_SYN, mustNext, newStack, peerPacket, SYN_OPTS, ts, tsOf } from './stack-harness.js';

const NET: NetworkConfig = { ipVersion: 'ipv4', localIp: '192.168.0.1', remoteIp: '192.0.2.1', remotePrefix: 24, gatewayIp: '192.168.0.2', netmaskIp: '255.255.0.0', mtu: 1500, device: 'tun0' };

/** A small MPTCP exchange; returns every packet the stack sent, as hex with its time. */
async function traceOf(seed: number): Promise<string[]> {
  const s = newStack(seed);
  const l = (await call(s, { name: 'socket', domain: 2, type: 1, protocol: 262 })).ret;
  await call(s, { name: 'bind', fd: l, addr: { family: 'inet', address: '0.0.0.0', port: 8080 }, addrLen: 16 });
  await call(s, { name: 'listen', fd: l, backlog: 4 });
  s.inject(peerPacket({ flags: F.SYN, seq: 0, dstPort: 8080, options: [...SYN_OPTS, MPC_SYN] }));
  const sa = mustNext(s);
  const key = sa.mptcp[0]?.subtype === 'mp_capable' ? sa.mptcp[0].senderKey : 0n;
  s.inject(peerPacket({ flags: F.ACK, seq: 1, ack: sa.tcp.seq + 1, dstPort: 8080, options: [...ts(101, tsOf(sa).val), { kind: 'mptcp', subtype: 'mp_capable', version: 1, flags: 1, senderKey: 9n, receiverKey: key }] }));
  const fd = (await call(s, { name: 'accept', fd: l, flags: 0, wantAddr: false })).ret;
  await call(s, { name: 'write', fd, data: new Uint8Array(5000), flags: 0 });
  s.clock.advanceTo(3_000_000);
  await call(s, { name: 'close', fd });
  s.clock.advanceTo(10_000_000);
  return s.host.trace.map((p) => `${p.time} ${toHex(p.bytes)}`);
}

test('two runs with the same seed give identical traces; another seed differs', async (t) => {
  const a = await traceOf(3);
  const b = await traceOf(3);
  t.true(a.length > 5);
  t.deepEqual(a, b);
  t.notDeepEqual(await traceOf(4), a);
});

async function withTarget<T>(f: (target: TsTarget, cwd: string) => Promise<T>): Promise<T> {
  const target = new TsTarget({ seed: 1 });
  await target.open(NET);
  const cwd = mkdtempSync(join(tmpdir(), 'stack-target-'));
  try {
    return await f(target, cwd);
  } finally {
    await target.close();
    rmSync(cwd, { recursive: true, force: true });
  }
}

const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

test('sysctl stand-in: writes reach the stack, reads see the stack as /proc/sys prints it, keys 6.18 lacks fail', async (t) => {
  await withTarget(async (target, cwd) => {
    writeFileSync(join(cwd, 'defaults.sh'), 'set -e\nsysctl -q net.ipv4.tcp_rmem="4096 540000 15728640"\nsysctl -w net.mptcp.checksum_enabled=1\n');
    const r = await target.shell('./defaults.sh 2>&1 || bash defaults.sh; sysctl -n net.ipv4.tcp_rmem', { cwd, env, timeoutMs: 10_000 });
    t.is(r.code, 0);
    t.true(r.stdout.includes('net.mptcp.checksum_enabled = 1'));
    t.true(r.stdout.trimEnd().endsWith('4096\t540000\t15728640'));
    t.is(target.stack.host.sysctls.get('net.ipv4.tcp_rmem'), '4096\t540000\t15728640');
    t.is(target.stack.host.sysctls.int('net.mptcp.checksum_enabled'), 1);
    t.is(r.unsupported, undefined);
    const bad = await target.shell('sysctl -q net.ipv4.tcp_made_up=1', { cwd, env, timeoutMs: 10_000 });
    t.is(bad.code, 1);
    t.is(bad.stderr, 'sysctl: cannot stat /proc/sys/net/ipv4/tcp_made_up: No such file or directory\n');
    t.is(bad.unsupported, undefined);
  });
});

test('window scale follows a tcp_rmem set through the shell', async (t) => {
  await withTarget(async (target, cwd) => {
    await target.shell('sysctl -q net.ipv4.tcp_rmem="4096 540000 15728640"', { cwd, env, timeoutMs: 10_000 });
    const s = target.stack;
    const l = (await s.syscall({ name: 'socket', domain: 2, type: 1, protocol: 6 })).ret;
    await s.syscall({ name: 'bind', fd: l, addr: { family: 'inet', address: '0.0.0.0', port: 8080 }, addrLen: 16 });
    await s.syscall({ name: 'listen', fd: l, backlog: 1 });
    await target.inject(peerPacket({ flags: F.SYN, seq: 0, dstPort: 8080, options: SYN_OPTS }));
    const p = await target.receive(0);
    t.truthy(p);
    t.deepEqual(mustNextFrom(p!.bytes), { shift: 8, window: 65535 });
  });
});

function mustNextFrom(bytes: Uint8Array): { shift: number | undefined; window: number } {
  const s = newStack();
  void s;
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const window = view.getUint16(20 + 14);
  // options start at byte 40; wscale is the last option of a SYN/ACK without MPTCP
  const optEnd = 20 + ((bytes[20 + 12]! >> 4) * 4);
  return { shift: bytes[optEnd - 1], window };
}

test('ip/tc stand-ins: limits and endpoints are kept, multipath and netem are reported', async (t) => {
  await withTarget(async (target, cwd) => {
    const r = await target.shell('ip mptcp limits set subflows 4 add_addr_accepted 0 && ip mptcp endpoint add 10.0.1.1 id 3 backup && ip -6 addr add 2001:db8::5/64 dev tun0', { cwd, env, timeoutMs: 10_000 });
    t.is(r.code, 0);
    t.is(r.unsupported, undefined);
    t.is(target.stack.pm.subflows, 4);
    t.is(target.stack.pm.addAddrAccepted, 0);
    t.deepEqual(target.stack.pm.endpoints.map((e) => [e.id, e.address, e.flags]), [[3, '10.0.1.1', ['backup']]]);
    t.true(target.stack.host.addresses.has('2001:db8::5'));
    const show = await target.shell('ip mptcp endpoint show; ip mptcp limits show', { cwd, env, timeoutMs: 10_000 });
    t.is(show.stdout, '10.0.1.1 id 3 backup \nadd_addr_accepted 0 subflows 4 \n');
    // Multipath configuration is honoured (the path manager); netem and other tools are not.
    const accept = await target.shell('ip mptcp limits set add_addr_accepted 2', { cwd, env, timeoutMs: 10_000 });
    t.is(accept.unsupported, undefined);
    t.is(target.stack.pm.addAddrAccepted, 2);
    const multi = await target.shell('ip mptcp endpoint add 10.0.2.2 signal; tc qdisc add dev tun0 root netem delay 10ms; iptables -L', { cwd, env, timeoutMs: 10_000 });
    t.is(multi.unsupported?.length, 2);
    t.regex(multi.unsupported![0]!, /netem/);
    t.regex(multi.unsupported![1]!, /^iptables -L is not emulated/);
    t.true(target.stack.pm.endpoints.some((e) => e.address === '10.0.2.2' && e.flags.includes('signal')));
  });
});

test('blocking connect through the target resolves at the virtual time of the SYN/ACK', async (t) => {
  await withTarget(async (target) => {
    const s = target.stack;
    const fd = (await target.syscall({ name: 'socket', domain: 2, type: 1, protocol: 6 })).ret;
    let at = -1;
    const pending = target.syscall({ name: 'connect', fd, addr: { family: 'inet', address: '192.0.2.1', port: 8080 }, addrLen: 16 }).then((r) => { at = target.clock.now(); return r; });
    const syn = await target.receive(0);
    t.truthy(syn);
    // No answer: the SYN is retransmitted at 1 s, found by receive() in virtual time.
    const again = await target.receive(5_000_000);
    t.is(again?.time, 1_000_000);
    await target.clock.sleepUntil(1_200_000);
    const synSeq = new DataView(syn!.bytes.buffer, syn!.bytes.byteOffset).getUint32(24);
    const srcPort = new DataView(syn!.bytes.buffer, syn!.bytes.byteOffset).getUint16(20);
    await target.inject(peerPacket({ flags: F.SYN | F.ACK, seq: 0, ack: synSeq + 1, srcPort: 8080, dstPort: srcPort, options: [{ kind: 'mss', mss: 1460 }] }));
    t.deepEqual(await pending, { ret: 0 });
    t.is(at, 1_200_000);
    t.is(s.blockedCalls, 0);
  });
});

test('poll with a timeout returns at its virtual deadline', async (t) => {
  await withTarget(async (target) => {
    const fd = (await target.syscall({ name: 'socket', domain: 2, type: 1, protocol: 6 })).ret;
    await target.syscall({ name: 'listen', fd, backlog: 1 });
    let at = -1;
    const p = target.syscall({ name: 'poll', fds: [{ fd, events: 1 }], timeoutMs: 250 }).then((r) => { at = target.clock.now(); return r; });
    await target.clock.sleepUntil(2_000_000);
    t.deepEqual(await p, { ret: 0, out: { kind: 'poll', revents: [0] } });
    t.is(at, 250_000);
  });
});

test('the target names the calls it cannot make: none (pipes and read-only files included)', (t) => {
  const target = new TsTarget();
  t.false(target.capabilities.unsupportedSyscalls.has('splice'));
  t.is(target.capabilities.unsupportedSyscalls.size, 0);
  t.is(target.name, 'ts');
  t.is(target.clock.kind, 'virtual');
});
