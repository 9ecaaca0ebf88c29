// The bundled stack's v0 mode (`net.mptcp.mptcp_version=0`, RFC 6824) checked against the test
// vectors of RFC 8684 §3.1 through the stack itself: the tokens and IDSNs it derives from
// the keys on the wire, the HMAC-SHA1s its MP_JOIN code produces and accepts, and the v0 option
// forms it sends and takes. The expected numbers are the reference's, not recomputed here.
import test from 'ava';
import { MptcpConnection, type MptcpSettings } from '../src/stack/mptcp/connection.js';
import { JoinSubflow } from '../src/stack/mptcp/join.js';
import { material } from '../src/stack/mptcp/keys.js';
import type { Stack } from '../src/stack/socket-api.js';
import { decodeStruct, MPTCP_INFO_LAYOUT } from '../src/sys/structs.js';
import { toHex } from '../src/wire/bytes.js';
import type { AddAddr, Dss, MpCapable, MpJoin, MptcpOption } from '../src/wire/packet.js';
import { call, F, LOCAL, mustNext, newStack, next, type Out, peerPacket, REMOTE, SYN_OPTS, ts, tsOf } from './stack-harness.js';

// RFC 8684 §3.1.
const KEY2 = 2n;
const KEY3 = 3n;
const V0_TOKEN_KEY2 = 0x07aae1b6;
const V0_TOKEN_KEY3 = 0x461d6580;
const V0_IDSN_KEY2 = 0xfa1723bef8656fe4n;
const V0_IDSN_KEY3 = 0xc945e53831dcdf03n;
const REMOTE2 = '192.0.2.2';

const find = <T extends MptcpOption>(o: Out, subtype: T['subtype']): T | undefined => o.mptcp.find((x): x is T => x.subtype === subtype);

function v0Stack(): Stack {
  const s = newStack();
  const why = s.host.sysctls.set('net.mptcp.mptcp_version', '0');
  if (why) throw new Error(why);
  return s;
}

async function mptcpInfo(s: Stack, fd: number) {
  const r = await call(s, { name: 'getsockopt', fd, level: 284, optname: 1, optlen: 96 });
  if (r.out?.kind !== 'opt') throw new Error(`MPTCP_INFO failed: ${r.errno}`);
  return decodeStruct(MPTCP_INFO_LAYOUT, r.out.value);
}

const v0Capable = (senderKey: bigint, receiverKey?: bigint): MpCapable =>
  receiverKey === undefined
    ? { kind: 'mptcp', subtype: 'mp_capable', version: 0, flags: 0x01, senderKey }
    : { kind: 'mptcp', subtype: 'mp_capable', version: 0, flags: 0x01, senderKey, receiverKey };

/** A v0 SYN carrying key 2 to an MPTCP listener on port 8080; the stack's answer. */
async function v0SynToListener(s: Stack) {
  const lfd = (await call(s, { name: 'socket', domain: 2, type: 1, protocol: 262 })).ret;
  await call(s, { name: 'bind', fd: lfd, addr: { family: 'inet', address: '0.0.0.0', port: 8080 }, addrLen: 16 });
  await call(s, { name: 'listen', fd: lfd, backlog: 4 });
  s.inject(peerPacket({ flags: F.SYN, seq: 0, dstPort: 8080, options: [...SYN_OPTS, v0Capable(KEY2)] }));
  return { lfd, synAck: mustNext(s) };
}

/** The stack as a v0 client of a peer holding key 3: SYN, SYN/ACK, third ACK. */
async function v0Client(s: Stack) {
  const fd = (await call(s, { name: 'socket', domain: 2, type: 1, protocol: 262 })).ret;
  const connected = call(s, { name: 'connect', fd, addr: { family: 'inet', address: REMOTE, port: 8080 }, addrLen: 16 });
  const syn = mustNext(s);
  s.inject(peerPacket({ flags: F.SYN | F.ACK, seq: 0, ack: syn.tcp.seq + 1, srcPort: 8080, dstPort: syn.tcp.srcPort, options: [...SYN_OPTS, v0Capable(KEY3)] }));
  const third = mustNext(s);
  if ((await connected).ret !== 0) throw new Error('connect failed');
  return { fd, syn, third, port: syn.tcp.srcPort, snd: (syn.tcp.seq + 1) >>> 0 };
}

test('sysctl: net.mptcp.mptcp_version takes 0 or 1 (default 1) and nothing else', (t) => {
  const s = newStack();
  t.is(s.host.sysctls.get('net.mptcp.mptcp_version'), '1');
  t.regex(s.host.sysctls.set('net.mptcp.mptcp_version', '2') ?? '', /not one of 0, 1/);
  t.is(s.host.sysctls.set('net.mptcp.mptcp_version', '0'), undefined);
  t.is(s.host.sysctls.get('net.mptcp.mptcp_version'), '0');
});

test('v0 client: SYN with its key (12 bytes, H), third ACK with both keys; rcv_nxt is the reference v0 IDSN of key 3 + 1', async (t) => {
  const s = v0Stack();
  const { fd, syn, third } = await v0Client(s);
  const c = find<MpCapable>(syn, 'mp_capable')!;
  t.like(c, { version: 0, flags: 0x01 });
  t.truthy(c.senderKey);
  t.is(c.receiverKey, undefined);
  t.like(find<MpCapable>(third, 'mp_capable'), { version: 0, flags: 0x01, senderKey: c.senderKey, receiverKey: KEY3, dataLen: undefined });
  const info = await mptcpInfo(s, fd);
  t.is(info.mptcpi_rcv_nxt, V0_IDSN_KEY3 + 1n);
  // No MP_CAPABLE with a data-level length in v0: the first data goes under a DSS.
  await call(s, { name: 'write', fd, data: new Uint8Array(10), flags: 0 });
  const data = mustNext(s);
  t.is(find<MpCapable>(data, 'mp_capable'), undefined);
  t.like(find<Dss>(data, 'dss'), { ssn: 1, dll: 10, dataAck: (V0_IDSN_KEY3 + 1n) & 0xffffffffn });
});

test('v0 server: a v0 SYN with key 2 is answered v0; the reference IDSN of key 2 + 1 maps the first data', async (t) => {
  const s = v0Stack();
  const { lfd, synAck } = await v0SynToListener(s);
  const sc = find<MpCapable>(synAck, 'mp_capable')!;
  t.like(sc, { version: 0, flags: 0x01, receiverKey: undefined });
  const snd = (synAck.tcp.seq + 1) >>> 0;
  s.inject(peerPacket({ flags: F.ACK, seq: 1, ack: snd, dstPort: 8080, options: [...ts(101, tsOf(synAck).val), v0Capable(KEY2, sc.senderKey!)] }));
  const fd = (await call(s, { name: 'accept', fd: lfd, flags: 0, wantAddr: false })).ret;
  t.is((await mptcpInfo(s, fd)).mptcpi_rcv_nxt, V0_IDSN_KEY2 + 1n);
  const map: Dss = { kind: 'mptcp', subtype: 'dss', dataFin: false, dataAck64: false, dsn64: true, dsn: V0_IDSN_KEY2 + 1n, ssn: 1, dll: 100 };
  s.inject(peerPacket({ flags: F.ACK | F.PSH, seq: 1, ack: snd, dstPort: 8080, options: [...ts(102, 0), map], payload: 100 }));
  t.is(find<Dss>(mustNext(s), 'dss')?.dataAck, V0_IDSN_KEY2 + 101n);
  t.is((await call(s, { name: 'read', fd, len: 200, flags: 0 })).ret, 100);
});

test('default (v1) mode: the same v0 SYN gets a plain SYN/ACK, as Linux 6.18', async (t) => {
  const s = newStack();
  t.deepEqual((await v0SynToListener(s)).synAck.mptcp, []);
});

test('v0 ADD_ADDR received: the v1 form is ignored; the v0 form is not echoed and is joined with the reference v0 token of key 3', async (t) => {
  const s = v0Stack();
  s.host.pm.addAddrAccepted = 8;
  const c = await v0Client(s);
  const peer = { srcPort: 8080, dstPort: c.port, seq: 1, ack: c.snd };
  const v1Form: AddAddr = { kind: 'mptcp', subtype: 'add_addr', version: 1, echo: false, addressId: 1, address: REMOTE2, hmac: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]) };
  s.inject(peerPacket({ flags: F.ACK, ...peer, options: [...ts(701, 0), v1Form] }));
  t.is(next(s, s.clock.now() + 1_000_000), undefined, 'no echo, no join for the v1 form');
  s.inject(peerPacket({ flags: F.ACK, ...peer, options: [...ts(702, 0), { ...v1Form, version: 0, hmac: undefined }] }));
  const syn = mustNext(s);
  t.deepEqual([syn.src, syn.dst, syn.tcp.flags], [LOCAL, REMOTE2, F.SYN]);
  t.like(find<MpJoin>(syn, 'mp_join'), { form: 'syn', token: V0_TOKEN_KEY3 });
});

test('v0 ADD_ADDR sent: IPVer form without HMAC, sent once (no echo to wait for)', async (t) => {
  const s = v0Stack();
  s.host.pm.subflows = 8;
  s.host.pm.add({ id: undefined, address: '192.168.0.2', port: undefined, flags: ['signal'], dev: undefined });
  const { synAck } = await v0SynToListener(s);
  const key = find<MpCapable>(synAck, 'mp_capable')!.senderKey!;
  s.inject(peerPacket({ flags: F.ACK, seq: 1, ack: synAck.tcp.seq + 1, dstPort: 8080, options: [...ts(101, tsOf(synAck).val), v0Capable(KEY2, key)] }));
  const add = find<AddAddr>(mustNext(s), 'add_addr');
  t.like(add, { version: 0, echo: false, addressId: 1, address: '192.168.0.2', hmac: undefined });
  t.is(next(s, s.clock.now() + 10_000_000), undefined, 'never repeated');
});

// MP_JOIN with the reference vectors: the stack's connection and join objects, given the keys.
const SETTINGS: MptcpSettings = { checksumEnabled: false, allowJoinInitial: true, synRetransBeforeFallback: 2, version: 0 };

function v0Pair(clientKey: bigint, serverKey: bigint): { client: MptcpConnection; server: MptcpConnection } {
  const client = new MptcpConnection('client', material(clientKey), SETTINGS, () => 0);
  const server = new MptcpConnection('server', material(serverKey), SETTINGS, () => 0);
  server.acceptSyn(client.synOptions(0)[0] as MpCapable);
  client.onSynAck(server.synAckOptions() as MptcpOption[]);
  return { client, server };
}

test('v0 keys: the stack rehashes with SHA-1 on a v0 SYN; tokens and IDSNs are the reference ones', (t) => {
  const { client, server } = v0Pair(KEY2, KEY3);
  t.deepEqual([client.version, server.version], [0, 0]);
  t.deepEqual([client.local.token, client.local.idsn, client.remote?.token, client.remote?.idsn], [V0_TOKEN_KEY2, V0_IDSN_KEY2, V0_TOKEN_KEY3, V0_IDSN_KEY3]);
  t.deepEqual([server.local.token, server.remote?.token], [V0_TOKEN_KEY3, V0_TOKEN_KEY2]);
  t.is(server.writeSeq, V0_IDSN_KEY3 + 1n);
  // A server that got a v1 SYN stays v1 (SHA-256) even in the v0 mode.
  const v1 = new MptcpConnection('server', material(KEY3), SETTINGS, () => 0);
  v1.acceptSyn({ kind: 'mptcp', subtype: 'mp_capable', version: 1, flags: 0x01 });
  t.is(v1.version, 1);
  t.not(v1.local.token, V0_TOKEN_KEY3);
});

const VECTORS = [
  { a: KEY2, b: KEY3, ra: 0x00000001, rb: 0x00000002, synAck: '40b6ae86c332b9d1', ack: '3b754a0c0676fda47ac735aeda179cccb4a10842' },
  { a: 0x0102030405060708n, b: 0x1112131415161718n, ra: 0x0a0b0c0d, rb: 0x1a1b1c1d, synAck: '2cc723c91a853eca', ack: 'ba0af79ab810aaed76c771860eb95afb8cd0e956' },
];

for (const v of VECTORS) {
  test(`v0 MP_JOIN HMAC-SHA1, A = ${v.a.toString(16)}, B = ${v.b.toString(16)}: both roles produce and accept the reference HMACs`, (t) => {
    // A joins B: A is the client of the connection here, B the server (the roles need not match).
    const { client, server } = v0Pair(v.a, v.b);
    server.onThirdAck([{ kind: 'mptcp', subtype: 'mp_capable', version: 0, flags: 0x01, senderKey: v.a, receiverKey: v.b }], 0);
    const joiner = new JoinSubflow(client, 'joiner', v.ra, 1, false);
    const responder = new JoinSubflow(server, 'responder', v.rb, 0, false);
    const syn = joiner.synOption();
    t.is(syn.token, server.local.token);
    responder.onSyn(syn);
    const synAck = responder.synAckOption();
    t.is(toHex(synAck.hmac!), v.synAck);
    t.true(joiner.onSynAck([synAck]));
    const ack = joiner.ackOption();
    t.is(toHex(ack.hmac!), v.ack, 'the ACK carries the whole 160-bit HMAC-SHA1');
    t.true(responder.thirdAckValid([ack]));
    t.false(responder.thirdAckValid([{ ...ack, hmac: ack.hmac!.map((b, i) => (i === 0 ? b ^ 1 : b)) }]));
  });
}
