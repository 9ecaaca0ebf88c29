// `raw KIND HEX...` (docs/language.md §7.3): one TCP option written as bytes, here to reach what no
// keyword writes (an MPTCP option of an unassigned subtype, an MP_CAPABLE of version 2; RFC 8684
// §3, §3.1). Inbound it goes out byte for byte and is decoded like live bytes; outbound it is
// compared byte for byte; bad input is a diagnostic with a caret, never a throw.

import test from 'ava';
import { PacketEngine } from '../src/engine/packets/index.js';
import { formatDiagnostic } from '../src/script/diagnostics.js';
import { checkText } from '../src/script/load.js';
import { TcpFlag } from '../src/wire/packet.js';
import { acts, CTX, inject, mp, stackSegment } from './engine-packets-fixture.js';

const SYN = (opts: string): string => `0 < S 0:0(0) win 65535 <mss 1460, ${opts}>\n`;

function errors(text: string): string[] {
  return checkText('a.pkt', text).diagnostics.filter((d) => d.severity === 'error').map((d) => formatDiagnostic(d, text, { color: false }));
}

test('raw options parse: the kind, then the data from hex groups joined in order', (t) => {
  const [syn] = acts(SYN('raw 30 0x0201 0x0000000000000005, raw 253, raw 254 ab12'));
  const opts = syn!.body.kind === 'tcp' && Array.isArray(syn!.body.options) ? syn!.body.options : [];
  t.deepEqual(opts.slice(1).map((o) => (o.kind === 'raw' ? [o.code, Buffer.from(o.data).toString('hex')] : o.kind)), [[30, '02010000000000000005'], [253, ''], [254, 'ab12']]);
});

test('inbound: the bytes go out as written, and an MPTCP kind decodes like live bytes would', (t) => {
  const [syn] = acts(SYN('raw 30 0x9000, raw 30 0x0201'));
  const s = inject(t, new PacketEngine(CTX), syn!);
  t.deepEqual(s.tcp!.options.slice(1), [
    { kind: 'mptcp', subtype: 'unknown', code: 9, data: Uint8Array.of(0x90, 0x00) },
    { kind: 'mptcp', subtype: 'mp_capable', version: 2, flags: 1 },
  ]);
});

test('outbound: matched by its kind byte and compared byte for byte', (t) => {
  const lines = acts(`0 < S 0:0(0) win 65535 <mss 1460>\n+0 > S. 0:0(0) ack 1 <raw 30 0x0101 0x0000000000000007>\n`);
  const pe = new PacketEngine(CTX);
  const port = inject(t, pe, lines[0]!).tcp!.srcPort;
  const seg = (key: bigint) => stackSegment({ dport: port, seq: 1, ack: 1, flags: TcpFlag.SYN | TcpFlag.ACK, options: [mp({ subtype: 'mp_capable', version: 1, flags: 1, senderKey: key })] });
  const bad = pe.matchOutbound(lines[1]!, seg(8n), 0);
  t.is(bad.status, 'mismatch');
  t.regex(JSON.stringify(bad), /tcp_option_raw.*01010000000000000007.*01010000000000000008/);
  t.deepEqual(pe.matchOutbound(lines[1]!, seg(7n), 0), { status: 'match' });
});

test('bad raw options are diagnostics with a caret', (t) => {
  const kind = errors(SYN('raw 256 00, nop'));
  t.deepEqual(kind, ['a.pkt:1:39: error: option kind 256 is out of range (0..255)\n0 < S 0:0(0) win 65535 <mss 1460, raw 256 00, nop>\n                                      ^~~']);
  const odd = errors(SYN('raw 30 0x901, nop, nop'));
  t.deepEqual(odd, ["a.pkt:1:42: error: '0x901' is not an even number of hex digits\n0 < S 0:0(0) win 65535 <mss 1460, raw 30 0x901, nop, nop>\n                                         ^~~~~"]);
  t.regex(errors(SYN('raw 1, nop, nop')).join('\n'), /a\.pkt:1:35: error: raw 1: kinds 0 \(eol\) and 1 \(nop\) have no length byte; write eol or nop\n.*\n {34}\^~~~~$/);
  t.regex(errors(SYN(`raw 30 ${Array(5).fill('0x0000000000000000').join(' ')}`)).join('\n'), /a\.pkt:1:35: error: a raw option carries at most 38 data bytes, not 40/);
  t.deepEqual(errors(SYN('raw 30, nop, nop')), [], 'no data: a 2-byte option');
  t.deepEqual(errors(SYN('raw 30 0x9000')), [], 'one group of two bytes');
});

test('the option-length check counts a raw option as 2 + its data', (t) => {
  const e = errors(SYN('sackOK, TS val 1 ecr 0, nop, wscale 7, raw 30 0x0201 0x0000000000000005 0x0000000000000000 0x0000'));
  t.is(e.length, 1);
  t.regex(e[0]!, /TCP options take 42 bytes, more than the 40/);
});
