// Cross-check against an independent dissector: every sample packet is written to a pcap and
// read back by tshark (when installed); its MPTCP fields and checksum verdicts must agree with
// decodeIp's.

import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeIp, encodeIp } from '../src/wire/codec.js';
import { SAMPLE_OPTION_SETS, samplePacket } from '../src/wire/sample-packets.js';
import { MptcpSubtype } from '../src/wire/packet.js';
import type { MptcpOption } from '../src/wire/packet.js';

const hasTshark = spawnSync('tshark', ['-v'], { stdio: 'ignore' }).status === 0;

const FIELDS = [
  'ip.checksum.status',
  'tcp.checksum.status',
  'tcp.options.mptcp.subtype',
  'tcp.options.mptcp.sendkey',
  'tcp.options.mptcp.recvkey',
  'tcp.options.mptcp.datalvllen',
  'tcp.options.mptcp.recvtok',
  'tcp.options.mptcp.sendrand',
  'tcp.options.mptcp.addrid',
  'tcp.options.mptcp.rawdataack',
  'tcp.options.mptcp.rawdataseqno',
  'tcp.options.mptcp.subflowseqno',
  'tcp.options.mptcp.ipv4',
  'tcp.options.mptcp.ipv6',
  'tcp.options.mptcp.port',
];

function pcapOf(packets: Uint8Array[]): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(101, 20); // LINKTYPE_RAW: packets start at the IP header
  const parts = [header];
  for (const p of packets) {
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(p.length, 8);
    rec.writeUInt32LE(p.length, 12);
    parts.push(rec, Buffer.from(p));
  }
  return Buffer.concat(parts);
}

/** The same fields, as tshark would print them, from our decoder's view of the packet. */
function ourFields(bytes: Uint8Array): string[] {
  const d = decodeIp(bytes);
  const m = (d.tcp?.options ?? []).filter((o): o is MptcpOption => o.kind === 'mptcp');
  const list = (values: Array<string | number | bigint | undefined>): string => values.filter((v) => v !== undefined).join(',');
  const sendKeys = m.map((o) => (o.subtype === 'mp_capable' ? o.senderKey : undefined));
  const recvKeys = m.map((o) => (o.subtype === 'mp_capable' ? o.receiverKey : o.subtype === 'mp_fastclose' ? o.receiverKey : undefined));
  const ids = m.flatMap((o) =>
    o.subtype === 'mp_join' || o.subtype === 'add_addr' || o.subtype === 'mp_prio' ? [o.addressId] : o.subtype === 'remove_addr' ? o.addressIds : [],
  );
  return [
    d.ip.version === 4 ? '1' : '',
    '1',
    list(m.map((o) => (o.subtype === 'unknown' ? o.code : MptcpSubtype[o.subtype]))),
    list(sendKeys),
    list(recvKeys),
    list(m.map((o) => (o.subtype === 'mp_capable' ? o.dataLen : o.subtype === 'dss' ? o.dll : undefined))),
    list(m.map((o) => (o.subtype === 'mp_join' ? o.token : undefined))),
    list(m.map((o) => (o.subtype === 'mp_join' ? o.nonce : undefined))),
    list(ids),
    list(m.map((o) => (o.subtype === 'dss' ? o.dataAck : undefined))),
    list(m.map((o) => (o.subtype === 'dss' || o.subtype === 'mp_fail' ? o.dsn : undefined))),
    list(m.map((o) => (o.subtype === 'dss' ? o.ssn : undefined))),
    list(m.map((o) => (o.subtype === 'add_addr' && !o.address.includes(':') ? o.address : undefined))),
    list(m.map((o) => (o.subtype === 'add_addr' && o.address.includes(':') ? o.address : undefined))),
    list(m.map((o) => (o.subtype === 'add_addr' ? o.port : undefined))),
  ];
}

(hasTshark ? test : test.skip)('tshark reads every sample packet the way decodeIp does', (t) => {
  const packets: Uint8Array[] = [];
  for (const version of [4, 6] as const) {
    for (const { options } of SAMPLE_OPTION_SETS) packets.push(encodeIp(samplePacket(options, version, 10)));
  }
  const dir = mkdtempSync(join(tmpdir(), 'wire-tshark-'));
  try {
    const file = join(dir, 'samples.pcap');
    writeFileSync(file, pcapOf(packets));
    const args = ['-r', file, '-o', 'tcp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE', '-T', 'fields', '-E', 'separator=|', '-E', 'aggregator=,'];
    for (const f of FIELDS) args.push('-e', f);
    const out = spawnSync('tshark', args, { encoding: 'utf8' });
    t.is(out.status, 0, out.stderr);
    const lines = out.stdout.trimEnd().split('\n');
    t.is(lines.length, packets.length);
    lines.forEach((line, i) => {
      const name = SAMPLE_OPTION_SETS[i % SAMPLE_OPTION_SETS.length]!.name;
      t.deepEqual(line.split('|'), ourFields(packets[i]!), `frame ${i + 1}: ${name}`);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
