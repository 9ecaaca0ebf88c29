import test from 'ava';
import { RelativeTracker } from '../src/cli/decode/relative.js';
import { keyIdsn, keyToken } from '../src/wire/crypto.js';
import type { MptcpOption } from '../src/wire/packet.js';
import { TcpFlag, tcpPacket } from './helpers/packets.js';

const KEY_C = 0x1122334455667788n;
const KEY_S = 0x99aabbccddeeff00n;
const SYN = TcpFlag.SYN;
const SYNACK = TcpFlag.SYN | TcpFlag.ACK;
const ACK = TcpFlag.ACK;

const c1 = { src: '10.0.1.1', dst: '10.0.1.2', sport: 40000, dport: 80 };
const s1 = { src: '10.0.1.2', dst: '10.0.1.1', sport: 80, dport: 40000 };
const c2 = { src: '10.0.2.1', dst: '10.0.2.2', sport: 40001, dport: 80 };
const s2 = { src: '10.0.2.2', dst: '10.0.2.1', sport: 80, dport: 40001 };

const mpc = (version: number, senderKey?: bigint, receiverKey?: bigint): MptcpOption => {
  const o: MptcpOption = { kind: 'mptcp', subtype: 'mp_capable', version, flags: 0x01 };
  if (senderKey !== undefined) o.senderKey = senderKey;
  if (receiverKey !== undefined) o.receiverKey = receiverKey;
  return o;
};

test('ISNs per direction, IDSNs from MP_CAPABLE keys, MP_JOIN subflows tied by token (v1)', (t) => {
  const tr = new RelativeTracker();
  t.deepEqual(tr.observe(tcpPacket({ ...c1, seq: 1000, flags: SYN, options: [mpc(1)] })), { seqIsn: 1000 });
  t.deepEqual(tr.observe(tcpPacket({ ...s1, seq: 5000, ack: 1001, flags: SYNACK, options: [mpc(1, KEY_S)] })), {
    seqIsn: 5000,
    ackIsn: 1000,
    dsnIdsn: keyIdsn(KEY_S, 1),
  });
  const third = tr.observe(tcpPacket({ ...c1, seq: 1001, ack: 5001, flags: ACK, options: [mpc(1, KEY_C, KEY_S)] }));
  t.deepEqual(third, { seqIsn: 1000, ackIsn: 5000, dsnIdsn: keyIdsn(KEY_C, 1), dataAckIdsn: keyIdsn(KEY_S, 1) });

  // The join SYN names the server by the token of the server's key: the client's data is the client's.
  const join: MptcpOption = { kind: 'mptcp', subtype: 'mp_join', form: 'syn', backup: false, addressId: 2, token: keyToken(KEY_S, 1), nonce: 7 };
  t.deepEqual(tr.observe(tcpPacket({ ...c2, seq: 70, flags: SYN, options: [join] })), {
    seqIsn: 70,
    dsnIdsn: keyIdsn(KEY_C, 1),
    dataAckIdsn: keyIdsn(KEY_S, 1),
  });
  t.deepEqual(tr.observe(tcpPacket({ ...s2, seq: 90, ack: 71, flags: SYNACK })), {
    seqIsn: 90,
    ackIsn: 70,
    dsnIdsn: keyIdsn(KEY_S, 1),
    dataAckIdsn: keyIdsn(KEY_C, 1),
  });
});

test('a join with an unknown token stays absolute for DSNs; v0 keys use the SHA-1 IDSN', (t) => {
  const tr = new RelativeTracker();
  const join: MptcpOption = { kind: 'mptcp', subtype: 'mp_join', form: 'syn', backup: false, addressId: 2, token: 0xdeadbeef, nonce: 7 };
  t.deepEqual(tr.observe(tcpPacket({ ...c2, seq: 70, flags: SYN, options: [join] })), { seqIsn: 70 });
  tr.observe(tcpPacket({ ...c1, seq: 1, flags: SYN, options: [mpc(0, KEY_C)] }));
  const b = tr.observe(tcpPacket({ ...s1, seq: 2, ack: 2, flags: SYNACK, options: [mpc(0, KEY_S)] }));
  t.is(b.dsnIdsn, keyIdsn(KEY_S, 0));
  t.is(b.dataAckIdsn, keyIdsn(KEY_C, 0));
  t.not(keyIdsn(KEY_S, 0), keyIdsn(KEY_S, 1));
});

test('a new SYN with another ISN on the same 4-tuple starts a new connection', (t) => {
  const tr = new RelativeTracker();
  tr.observe(tcpPacket({ ...c1, seq: 1000, flags: SYN, options: [mpc(1)] }));
  tr.observe(tcpPacket({ ...s1, seq: 5000, ack: 1001, flags: SYNACK, options: [mpc(1, KEY_S)] }));
  t.deepEqual(tr.observe(tcpPacket({ ...c1, seq: 3000, flags: SYN })), { seqIsn: 3000 });
  // The server's old ISN and the old connection's keys are forgotten until the new handshake shows them.
  t.deepEqual(tr.observe(tcpPacket({ ...s1, seq: 5001, ack: 1, flags: ACK })), { ackIsn: 3000 });
});
