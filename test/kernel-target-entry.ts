// Runs inside a fresh network namespace (started by test/kernel-target.test.ts through
// reexecInFreshNetns) and drives KernelTarget directly. Prints one JSON line of observations;
// the ava test asserts on them, so a failure shows there with the values.
import { execFileSync } from 'node:child_process';
import { readlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { decodeIp, encodeIp } from '../src/wire/codec.js';
import { TcpFlag, type IpPacket, type MpCapable, type TcpOption } from '../src/wire/packet.js';
import { KernelTarget } from '../src/targets/kernel/kernel-target.js';
import { descriptorsInNetns, enterFreshNetns, leaveFreshNetns, netnsInterfaces, processesInNetns, threadsInNetns } from '../src/targets/kernel/netns.js';
import { startKernelThreads } from '../src/targets/kernel/threads.js';
import { decodeStruct, encodeInt, encodeStruct, LINGER_LAYOUT, MPTCP_INFO_LAYOUT, TCP_INFO_LAYOUT } from '../src/sys/structs.js';
import type { NetworkConfig, SyscallRequest, SyscallResult } from '../src/targets/target.js';

const V4: NetworkConfig = {
  ipVersion: 'ipv4', localIp: '192.168.0.2', remoteIp: '192.0.2.1', remotePrefix: 24,
  gatewayIp: '192.168.0.1', netmaskIp: '255.255.0.0', mtu: 1500, device: 'tun0',
};
const V6: NetworkConfig = {
  ipVersion: 'ipv6', localIp: 'fd3d:fa7b:d17d::0', remoteIp: '2001:db8::1', remotePrefix: 32,
  gatewayIp: 'fd3d:fa7b:d17d:8888::0', netmaskIp: '255.255.0.0', mtu: 1520, device: 'tun0',
};

const AF_INET = 2, AF_INET6 = 10, SOCK_STREAM = 1, SOCK_NONBLOCK = 0x800, IPPROTO_MPTCP = 262;
const SOL_SOCKET = 1, SO_REUSEADDR = 2, SO_LINGER = 13, SOL_TCP = 6, TCP_INFO = 11, SOL_MPTCP = 284, MPTCP_INFO = 1;
const F_GETFL = 3, F_SETFL = 4, O_NONBLOCK = 0x800, POLLIN = 1, POLLOUT = 4, EPOLLOUT = 4, EPOLL_CTL_ADD = 1;
const PEER_KEY = 0x0102030405060708n;

const target = new KernelTarget();
const out: Record<string, unknown> = {};

async function sc(req: SyscallRequest): Promise<SyscallResult> {
  return target.syscall(req);
}

function segment(net: NetworkConfig, f: { sport: number; dport: number; seq: number; ack: number; flags: number; options: TcpOption[]; payload?: Uint8Array }): Uint8Array {
  const pkt: IpPacket = {
    ip: net.ipVersion === 'ipv6'
      ? { version: 6, trafficClass: 0, flowLabel: 0, nextHeader: 6, hopLimit: 64, src: net.remoteIp, dst: net.localIp, extensions: new Uint8Array(0) }
      : { version: 4, tos: 0, id: 0, fragment: 0x4000, ttl: 64, protocol: 6, src: net.remoteIp, dst: net.localIp, options: new Uint8Array(0) },
    tcp: { srcPort: f.sport, dstPort: f.dport, seq: f.seq, ack: f.ack, flags: f.flags, window: 65535, urgent: 0, options: f.options, payload: f.payload ?? new Uint8Array(0) },
    errors: [],
  };
  return encodeIp(pkt);
}

async function nextTcp(ms: number): Promise<IpPacket | null> {
  const p = await target.receive(target.clock.now() + ms * 1000);
  return p ? decodeIp(p.bytes) : null;
}

const mpc = (o: TcpOption[] | undefined): MpCapable | undefined =>
  o?.find((x): x is MpCapable => x.kind === 'mptcp' && x.subtype === 'mp_capable');

const plain = (v: Record<string, number | bigint>) => Object.fromEntries(Object.entries(v).map(([k, x]) => [k, typeof x === 'bigint' ? x.toString() : x]));

async function passiveOpen(): Promise<void> {
  await target.open(V4);
  target.clock.start();
  const fd = (await sc({ name: 'socket', domain: AF_INET, type: SOCK_STREAM, protocol: IPPROTO_MPTCP })).ret;
  out.listenFd = fd;
  out.reuse = (await sc({ name: 'setsockopt', fd, level: SOL_SOCKET, optname: SO_REUSEADDR, value: encodeInt(1), optlen: 4 })).ret;
  out.bind = (await sc({ name: 'bind', fd, addr: { family: 'inet', address: V4.localIp, port: 8080 }, addrLen: 16 })).ret;
  out.listen = (await sc({ name: 'listen', fd, backlog: 1 })).ret;
  const acceptStarted = target.clock.now();
  const accepting = sc({ name: 'accept', fd, flags: 0, wantAddr: true });
  await target.clock.sleepUntil(target.clock.now() + 20_000);
  target.inject(segment(V4, { sport: 40000, dport: 8080, seq: 1000, ack: 0, flags: TcpFlag.SYN, options: [
    { kind: 'mss', mss: 1460 }, { kind: 'sack_permitted' }, { kind: 'timestamp', val: 100, ecr: 0 }, { kind: 'nop' }, { kind: 'wscale', shift: 7 },
    { kind: 'mptcp', subtype: 'mp_capable', version: 1, flags: 0x01 },
  ] }));
  const synack = await nextTcp(1000);
  const key = mpc(synack?.tcp?.options);
  out.synAck = synack?.tcp ? { flags: synack.tcp.flags, ack: synack.tcp.ack, src: synack.ip.src, dst: synack.ip.dst, mpcVersion: key?.version, hasKey: key?.senderKey !== undefined } : null;
  if (!synack?.tcp || key?.senderKey === undefined) return;
  out.acceptStillBlocked = await Promise.race([accepting.then(() => false), new Promise((r) => setTimeout(() => r(true), 50))]);
  target.inject(segment(V4, { sport: 40000, dport: 8080, seq: 1001, ack: synack.tcp.seq + 1, flags: TcpFlag.ACK, options: [
    { kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamp', val: 101, ecr: 0 },
    { kind: 'mptcp', subtype: 'mp_capable', version: 1, flags: 0x01, senderKey: PEER_KEY, receiverKey: key.senderKey },
  ] }));
  const acc = await accepting;
  out.accept = { ret: acc.ret, errno: acc.errno, addr: acc.out?.kind === 'addr' ? acc.out.addr : null, waitedUs: target.clock.now() - acceptStarted };
  const conn = acc.ret;
  const ti = await sc({ name: 'getsockopt', fd: conn, level: SOL_TCP, optname: TCP_INFO, optlen: TCP_INFO_LAYOUT.size });
  out.tcpInfo = ti.out?.kind === 'opt' ? { optlen: ti.out.optlen, ...plain(decodeStruct(TCP_INFO_LAYOUT, ti.out.value)) } : ti;
  const mi = await sc({ name: 'getsockopt', fd: conn, level: SOL_MPTCP, optname: MPTCP_INFO, optlen: MPTCP_INFO_LAYOUT.size });
  out.mptcpInfo = mi.out?.kind === 'opt' ? { optlen: mi.out.optlen, ...plain(decodeStruct(MPTCP_INFO_LAYOUT, mi.out.value)) } : mi;

  // A blocking read waits in a worker while the peer's first data arrives (MP_CAPABLE with DLL).
  const reading = sc({ name: 'read', fd: conn, len: 1000, flags: 0 });
  await target.clock.sleepUntil(target.clock.now() + 20_000);
  target.inject(segment(V4, { sport: 40000, dport: 8080, seq: 1001, ack: synack.tcp.seq + 1, flags: TcpFlag.ACK | TcpFlag.PSH, options: [
    { kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamp', val: 102, ecr: 0 },
    { kind: 'mptcp', subtype: 'mp_capable', version: 1, flags: 0x01, senderKey: PEER_KEY, receiverKey: key.senderKey, dataLen: 100 },
    { kind: 'nop' }, { kind: 'nop' },
  ], payload: new Uint8Array(100).fill(7) }));
  const rd = await reading;
  out.blockingRead = { ret: rd.ret, errno: rd.errno, sevens: rd.out?.kind === 'data' ? rd.out.data.every((b) => b === 7) : false };

  const fl = (await sc({ name: 'fcntl', fd: conn, cmd: F_GETFL })).ret;
  await sc({ name: 'fcntl', fd: conn, cmd: F_SETFL, arg: fl | O_NONBLOCK });
  const r = await sc({ name: 'read', fd: conn, len: 1000, flags: 0 });
  out.nonblockingRead = { ret: r.ret, errno: r.errno };
  const p = await sc({ name: 'poll', fds: [{ fd: conn, events: POLLIN | POLLOUT }], timeoutMs: 0 });
  out.poll = { ret: p.ret, revents: p.out?.kind === 'poll' ? p.out.revents : null };
  const ep = (await sc({ name: 'epoll_create1', size: 0 })).ret;
  out.epollCtl = (await sc({ name: 'epoll_ctl', epfd: ep, op: EPOLL_CTL_ADD, fd: conn, events: EPOLLOUT, data: 0x1122334455667788n })).ret;
  const ew = await sc({ name: 'epoll_wait', epfd: ep, maxEvents: 4, timeoutMs: 100 });
  out.epollWait = { ret: ew.ret, events: ew.out?.kind === 'epoll' ? ew.out.events.map((e) => ({ events: e.events, data: e.data.toString(16) })) : null };
  const bad = await sc({ name: 'close', fd: 999 });
  out.badClose = { ret: bad.ret, errno: bad.errno };
  const w = await sc({ name: 'write', fd: conn, data: new Uint8Array(10), flags: 0 });
  let data = await nextTcp(1000);
  while (data?.tcp && data.tcp.payload.length === 0) data = await nextTcp(1000);
  out.write = { ret: w.ret, payloadLen: data?.tcp?.payload.length, dss: data?.tcp?.options.some((o) => o.kind === 'mptcp' && o.subtype === 'dss') };
  out.openFds = [fd, conn, ep];
}

async function activeOpen(net: NetworkConfig): Promise<void> {
  await target.open(net);
  target.clock.start();
  const family = net.ipVersion === 'ipv6' ? 'inet6' : 'inet';
  const domain = net.ipVersion === 'ipv6' ? AF_INET6 : AF_INET;
  const nb = (await sc({ name: 'socket', domain, type: SOCK_STREAM | SOCK_NONBLOCK, protocol: IPPROTO_MPTCP })).ret;
  const c = await sc({ name: 'connect', fd: nb, addr: { family, address: net.remoteIp, port: 8080 }, addrLen: family === 'inet6' ? 28 : 16 });
  out.nonblockingConnect = { ret: c.ret, errno: c.errno };
  const syn = await nextTcp(1000);
  out.syn = syn?.tcp ? { flags: syn.tcp.flags, src: syn.ip.src, dst: syn.ip.dst, mpc: mpc(syn.tcp.options) ? { version: mpc(syn.tcp.options)?.version, hasKey: mpc(syn.tcp.options)?.senderKey !== undefined } : null, mss: syn.tcp.options.find((o) => o.kind === 'mss') } : null;
  // A blocking connect waits (in a worker) until the SYN/ACK is injected.
  const b = (await sc({ name: 'socket', domain, type: SOCK_STREAM, protocol: IPPROTO_MPTCP })).ret;
  const started = target.clock.now();
  const connecting = sc({ name: 'connect', fd: b, addr: { family, address: net.remoteIp, port: 8081 }, addrLen: family === 'inet6' ? 28 : 16 });
  let syn2 = await nextTcp(1000);
  while (syn2?.tcp && syn2.tcp.dstPort !== 8081) syn2 = await nextTcp(1000);
  if (!syn2?.tcp) return;
  out.connectStillBlocked = await Promise.race([connecting.then(() => false), new Promise((r) => setTimeout(() => r(true), 50))]);
  target.inject(segment(net, { sport: 8081, dport: syn2.tcp.srcPort, seq: 5000, ack: syn2.tcp.seq + 1, flags: TcpFlag.SYN | TcpFlag.ACK, options: [
    { kind: 'mss', mss: 1400 }, { kind: 'mptcp', subtype: 'mp_capable', version: 1, flags: 0x01, senderKey: PEER_KEY },
  ] }));
  const res = await connecting;
  out.blockingConnect = { ret: res.ret, errno: res.errno, waitedUs: target.clock.now() - started };
  let ack = await nextTcp(1000);
  while (ack?.tcp && ack.tcp.dstPort !== 8081) ack = await nextTcp(1000);
  const m = mpc(ack?.tcp?.options);
  out.thirdAck = ack?.tcp ? { flags: ack.tcp.flags, receiverKey: m?.receiverKey?.toString(16) } : null;
  // close() with SO_LINGER {1, 1s} of a plain TCP connection blocks in the kernel until its FIN
  // is acked or a second passes; the FIN must be readable meanwhile (the close runs in a worker).
  const tcp = (await sc({ name: 'socket', domain, type: SOCK_STREAM, protocol: 6 })).ret;
  const tcpConnect = sc({ name: 'connect', fd: tcp, addr: { family, address: net.remoteIp, port: 8082 }, addrLen: family === 'inet6' ? 28 : 16 });
  let syn3 = await nextTcp(1000);
  while (syn3?.tcp && syn3.tcp.dstPort !== 8082) syn3 = await nextTcp(1000);
  if (!syn3?.tcp) return;
  target.inject(segment(net, { sport: 8082, dport: syn3.tcp.srcPort, seq: 7000, ack: syn3.tcp.seq + 1, flags: TcpFlag.SYN | TcpFlag.ACK, options: [{ kind: 'mss', mss: 1400 }] }));
  await tcpConnect;
  out.linger = (await sc({ name: 'setsockopt', fd: tcp, level: SOL_SOCKET, optname: SO_LINGER, value: encodeStruct(LINGER_LAYOUT, { l_onoff: 1, l_linger: 1 }), optlen: 8 })).ret;
  let closed = false;
  const closeStarted = target.clock.now();
  const closing = sc({ name: 'close', fd: tcp }).then((r) => { closed = true; return r; });
  let fin = await nextTcp(1500);
  while (fin?.tcp && !(fin.tcp.dstPort === 8082 && (fin.tcp.flags & TcpFlag.FIN) !== 0)) fin = await nextTcp(1500);
  out.finWhileClosing = fin?.tcp !== undefined && !closed;
  const cr = await closing;
  out.lingerClose = { ret: cr.ret, errno: cr.errno, lingeredUs: target.clock.now() - closeStarted };
  out.ignoredReasons = [...new Set(target.ignored.map((i) => i.reason))];
}

async function misc(): Promise<void> {
  await target.open(V4);
  target.clock.start();
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  const cc = await target.shell('sysctl -q -w net.ipv4.tcp_congestion_control=cubic', { cwd: '/', env, timeoutMs: 5000 });
  out.cubic = { code: cc.code, warnings: cc.warnings ?? [] };
  // As the MPTCP suite's defaults.sh: the command is a file, only sysctl's stderr names the key.
  writeFileSync('/tmp/mptcpdrill-defaults-test.sh', 'set -e\nsysctl -q net.ipv4.tcp_congestion_control=cubic\n');
  const file = await target.shell('sh /tmp/mptcpdrill-defaults-test.sh', { cwd: '/', env, timeoutMs: 5000 });
  unlinkSync('/tmp/mptcpdrill-defaults-test.sh');
  out.cubicFromFile = { code: file.code, warnings: file.warnings ?? [] };
  const reno = await target.shell('sysctl -q -w net.ipv4.tcp_congestion_control=reno', { cwd: '/', env, timeoutMs: 5000 });
  out.reno = { code: reno.code, warnings: reno.warnings ?? [] };
  const ip = await target.shell('ip -o addr show dev $DEV; ip route show; cat /proc/sys/net/mptcp/blackhole_timeout; echo $PWD', { cwd: '/tmp', env: { ...env, DEV: 'tun0' }, timeoutMs: 5000 });
  out.ipShow = ip.stdout;
  const slow = await target.shell('sleep 5', { cwd: '/', env, timeoutMs: 100 });
  out.timeout = { code: slow.code, stderr: slow.stderr };
  const pipe = await sc({ name: 'pipe', flags: 0 });
  const fds = pipe.out?.kind === 'fds' ? pipe.out.fds : [];
  await sc({ name: 'write', fd: fds[1], data: new Uint8Array([1, 2, 3]), flags: 0 });
  const rd = await sc({ name: 'read', fd: fds[0], len: 10, flags: 0 });
  out.pipe = { ret: pipe.ret, read: rd.ret };
  // A blocking accept that nobody completes: close() must still return and release it.
  const l = (await sc({ name: 'socket', domain: AF_INET, type: SOCK_STREAM, protocol: IPPROTO_MPTCP })).ret;
  await sc({ name: 'bind', fd: l, addr: { family: 'inet', address: V4.localIp, port: 9000 }, addrLen: 16 });
  await sc({ name: 'listen', fd: l, backlog: 1 });
  const pending = sc({ name: 'accept', fd: l, flags: 0, wantAddr: false }).then((r) => ({ settled: 'resolved', ...r }), (e: Error) => ({ settled: 'rejected', message: e.message }));
  await target.clock.sleepUntil(target.clock.now() + 20_000);
  const t0 = target.clock.now();
  await target.close();
  out.closeUs = target.clock.now() - t0;
  out.pendingAccept = await pending;
  const after = [...fds, l].map((fd) => {
    const r = target.syscall({ name: 'fcntl', fd, cmd: F_GETFL });
    return r;
  });
  out.fdsAfterClose = (await Promise.all(after)).map((r) => r.errno);
}

async function hang(): Promise<void> {
  await target.open(V4);
  const fd = (await sc({ name: 'socket', domain: AF_INET, type: SOCK_STREAM, protocol: IPPROTO_MPTCP })).ret;
  await sc({ name: 'bind', fd, addr: { family: 'inet', address: V4.localIp, port: 8080 }, addrLen: 16 });
  await sc({ name: 'listen', fd, backlog: 1 });
  void sc({ name: 'accept', fd, flags: 0, wantAddr: false });
  process.stdout.write(`${JSON.stringify({ ready: true, pid: process.pid })}\n`);
  await new Promise(() => setInterval(() => undefined, 1000));
}

/**
 * As the suite's kernel worker does: the threads started once, at home, then two targets one
 * after the other, each in a namespace the main thread entered and left. Each script's handshake
 * goes through the shared capture and blocking-call threads; once a script is over nothing of
 * this process (thread, descriptor) and no process holds its namespace.
 */
async function consecutive(): Promise<void> {
  const home = netnsOf('thread-self');
  await startKernelThreads();
  const runs: Array<Record<string, unknown>> = [];
  for (let i = 0; i < 2; i++) {
    const ns = enterFreshNetns();
    const t = new KernelTarget();
    await t.open(V4);
    t.clock.start();
    const run: Record<string, unknown> = { ns, links: netnsInterfaces().sort(), workerThreadsInside: threadsInNetns(ns).length };
    const call = (req: SyscallRequest): Promise<SyscallResult> => t.syscall(req);
    const fd = (await call({ name: 'socket', domain: AF_INET, type: SOCK_STREAM, protocol: 6 })).ret;
    await call({ name: 'bind', fd, addr: { family: 'inet', address: V4.localIp, port: 8080 }, addrLen: 16 });
    await call({ name: 'listen', fd, backlog: 1 });
    const accepting = call({ name: 'accept', fd, flags: 0, wantAddr: false });
    await t.inject(segment(V4, { sport: 40000, dport: 8080, seq: 1000, ack: 0, flags: TcpFlag.SYN, options: [{ kind: 'mss', mss: 1460 }] }));
    const p = await t.receive(t.clock.now() + 1_000_000);
    const synack = p ? decodeIp(p.bytes) : null;
    run.synAck = synack?.tcp?.flags;
    if (synack?.tcp) await t.inject(segment(V4, { sport: 40000, dport: 8080, seq: 1001, ack: synack.tcp.seq + 1, flags: TcpFlag.ACK, options: [] }));
    run.accept = (await accepting).ret >= 0;
    await t.close();
    leaveFreshNetns();
    run.back = netnsOf('thread-self') === home;
    run.threadsLeft = threadsInNetns(ns);
    run.descriptorsLeft = descriptorsInNetns(ns);
    run.processesLeft = processesInNetns(ns);
    runs.push(run);
  }
  out.runs = runs;
}

/**
 * The injection thread and the kernel's stamps: SYNs handed over ahead of their time go in at
 * that time (not before, and not much later), each SYN/ACK is stamped by the kernel after the
 * SYN it answers, and the packets came from the packet socket (stamped by the kernel).
 */
async function timing(): Promise<void> {
  await target.open(V4);
  target.clock.start();
  const fd = (await sc({ name: 'socket', domain: AF_INET, type: SOCK_STREAM, protocol: 6 })).ret;
  await sc({ name: 'setsockopt', fd, level: SOL_SOCKET, optname: SO_REUSEADDR, value: encodeInt(1), optlen: 4 });
  await sc({ name: 'bind', fd, addr: { family: 'inet', address: V4.localIp, port: 8080 }, addrLen: 16 });
  await sc({ name: 'listen', fd, backlog: 100 });
  const rounds: Array<{ late: number; gap: number }> = [];
  for (let i = 0; i < 10; i++) {
    const at = target.clock.now() + 5_000;
    const injected = await target.injectAt(segment(V4, { sport: 41000 + i, dport: 8080, seq: 1000, ack: 0, flags: TcpFlag.SYN, options: [{ kind: 'mss', mss: 1460 }] }), at);
    let p = await target.receive(target.clock.now() + 1_000_000);
    while (p && decodeIp(p.bytes).tcp?.dstPort !== 41000 + i) p = await target.receive(target.clock.now() + 1_000_000);
    rounds.push({ late: injected - at, gap: p ? p.time - injected : NaN });
  }
  out.rounds = rounds;
  out.stamped = (await import('../src/targets/kernel/threads.js')).kernelThreads().then((t) => t.capture.stamped);
  out.stamped = await out.stamped;
}

function netnsOf(which: string): string {
  return readlinkSync(`/proc/${which}/ns/net`);
}

async function notFresh(): Promise<void> {
  execFileSync('ip', ['link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'veth1']);
  await target.open(V4);
}

const scenarios: Record<string, () => Promise<void>> = {
  passive: passiveOpen, active4: () => activeOpen(V4), active6: () => activeOpen(V6), misc, hang, notfresh: notFresh, consecutive, timing,
};

const name = process.argv[2] ?? '';
try {
  await scenarios[name]!();
  if (name !== 'misc' && name !== 'consecutive') await target.close();
} catch (e) {
  out.error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}
process.stdout.write(`${JSON.stringify(out)}\n`);
process.exit(0);
