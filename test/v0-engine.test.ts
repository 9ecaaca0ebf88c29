// The packet engine on v0 connections (docs/language.md §8.3, RFC 6824): the version follows the
// SYN's MP_CAPABLE, tokens / IDSNs / join HMACs hash with SHA-1 (the §2.5 vectors), and the v0
// ADD_ADDR (no HMAC, no echo) is built and checked as such.
import test from 'ava';
import { PacketEngine } from '../src/engine/packets/index.js';
import { toHex } from '../src/wire/bytes.js';
import type { MpJoin } from '../src/wire/packet.js';
import { TcpFlag } from '../src/wire/packet.js';
import { acts, CTX, inject, mp, mptcpOf, stackSegment } from './engine-packets-fixture.js';

// The script (key 2) opens a v0 connection to the stack (key 3) and joins it with nonce 1.
const OPEN = `
0   < S 0:0(0) win 65535 <mp_capable_no_cs ck=2>
+0  > S. 0:0(0) ack 1 <mpcapable v0 flags[flag_h] key[sk]>
+0  < . 1:1(0) ack 1 win 256 <mp_capable_no_cs ck sk>
`;

function v0Open(t: import('ava').ExecutionContext, more: string) {
  const lines = acts(OPEN + more);
  const pe = new PacketEngine(CTX);
  const syn = inject(t, pe, lines[0]!);
  t.deepEqual(mptcpOf(syn), [{ kind: 'mptcp', subtype: 'mp_capable', version: 0, flags: 0x01, senderKey: 2n }]);
  const port = syn.tcp!.srcPort;
  const synAck = stackSegment({ dport: port, seq: 1, ack: 1, flags: TcpFlag.SYN | TcpFlag.ACK, options: [mp({ subtype: 'mp_capable', version: 0, flags: 1, senderKey: 3n })] });
  t.is(pe.matchOutbound(lines[1]!, synAck, 0).status, 'match');
  t.like(mptcpOf(inject(t, pe, lines[2]!))[0], { version: 0, senderKey: 2n, receiverKey: 3n });
  return { pe, lines, port };
}

test('v0 join built and checked with SHA-1: the token and HMACs of RFC 8684 §3.1', (t) => {
  const { pe, lines } = v0Open(t, `
+0  < addr[c1] > addr[s0] S 0:0(0) win 65535 <mp_join_syn address_id=2 token=auto rand=1>
+0  > S. 0:0(0) ack 1 <mp_join_syn_ack sender_hmac=auto>
+0  < . 1:1(0) ack 1 win 256 <mp_join_ack sender_hmac=auto>
`);
  const syn = inject(t, pe, lines[3]!);
  t.like(mptcpOf(syn)[0], { subtype: 'mp_join', token: 0x461d6580, nonce: 1 });
  const synAck = (hmac: string) =>
    stackSegment({ dst: syn.ip.src, dport: syn.tcp!.srcPort, seq: 1, ack: 1, flags: TcpFlag.SYN | TcpFlag.ACK, options: [mp({ subtype: 'mp_join', form: 'syn_ack', backup: false, addressId: 0, nonce: 2, hmac: Uint8Array.from(Buffer.from(hmac, 'hex')) })] });
  const bad = pe.matchOutbound(lines[4]!, synAck('8ef936192e56b667'), 0); // the v1 (SHA-256) HMAC
  t.is(bad.status, 'mismatch');
  t.regex(bad.message ?? '', /mptcp_join_hmac: expected: 40b6ae86c332b9d1 .*HMAC-SHA1/);
  t.is(pe.matchOutbound(lines[4]!, synAck('40b6ae86c332b9d1'), 0).status, 'match');
  const ack = mptcpOf(inject(t, pe, lines[5]!))[0] as MpJoin;
  t.is(toHex(ack.hmac!), '3b754a0c0676fda47ac735aeda179cccb4a10842');
});

test('v0 ADD_ADDR: hmac=auto builds the IPVer form without HMAC; an echo or a literal HMAC is a line error', (t) => {
  const { pe, lines } = v0Open(t, `
+0  < . 1:1(0) ack 1 win 256 <add_address address_id=4 addr[a4=inet_addr("192.0.2.9")] port=80 hmac=auto, nop, nop>
+0  < . 1:1(0) ack 1 win 256 <add_address address_id=4 addr[a4] addr_echo>
+0  < . 1:1(0) ack 1 win 256 <add_address address_id=4 addr[a4] hmac=1234>
`);
  t.deepEqual(mptcpOf(inject(t, pe, lines[3]!)), [{ kind: 'mptcp', subtype: 'add_addr', version: 0, echo: false, addressId: 4, address: '192.0.2.9', port: 80, nibble: 4 }]);
  const echo = pe.buildInbound(lines[4]!, 0);
  t.false(echo.ok);
  t.regex(echo.ok ? '' : echo.message, /a v0 ADD_ADDR has no echo/);
  const literal = pe.buildInbound(lines[5]!, 0);
  t.regex(literal.ok ? '' : literal.message, /a v0 ADD_ADDR has no HMAC/);
});

test('v0 ADD_ADDR from the stack: matches hmac=auto, not addr_echo (v0 has no echo)', (t) => {
  const { pe, lines, port } = v0Open(t, `
+0  > . 1:1(0) ack 1 <add_address address_id=1 addr[s1] hmac=auto>
+0  > . 1:1(0) ack 1 <add_address address_id=1 addr[s1] addr_echo>
`);
  const live = stackSegment({ dport: port, seq: 2, ack: 1, options: [mp({ subtype: 'add_addr', version: 0, echo: false, addressId: 1, address: '192.168.0.3' })] });
  const echo = pe.matchOutbound(lines[4]!, live, 0);
  t.is(echo.status, 'mismatch');
  t.regex(echo.message ?? '', /mptcp_add_addr_echo: expected: an echo \(addr_echo\) vs actual: a v0 announcement/);
  t.is(pe.matchOutbound(lines[3]!, live, 0).status, 'match');
});
