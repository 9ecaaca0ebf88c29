// Cross-checks our MPTCP decoder against tshark 4.0, field by field, on hand-built packets of
// every subtype and flag combination (written with our pcap writer) and on the real capture.
import test, { type ExecutionContext } from 'ava';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePcap, readCapture } from '../src/pcap/index.js';
import { decodeIp, encodeIp, mptcpOptionLength, toHex } from '../src/wire/codec.js';
import { keyIdsn, keyToken } from '../src/wire/crypto.js';
import type { MptcpOption, TcpOption } from '../src/wire/packet.js';
import { mptcpCases } from './helpers/mptcp-cases.js';
import { realCapturePath } from './helpers/paths.js';
import { tsharkAvailable, tsharkFrames, type TsharkFields } from './helpers/tshark.js';

/**
 * What tshark 4.0.17 cannot show, and so what is not compared through its fields:
 * - the DSS checksum: never printed, even when MP_CAPABLE negotiated checksums (checked instead
 *   against the last 2 bytes of the option as tshark delimits it);
 * - mptcp.expected_token on 22/24-byte MP_CAPABLE and on the v0 third ACK: printed as 0;
 * - analysis fields relative to tshark's own connection tracking (mptcp.ack, mptcp.dss.dsn).
 */
const TSHARK_CANNOT = ['DSS checksum', 'MP_CAPABLE token on data and v0 third-ACK forms', 'mptcp.ack / mptcp.dss.dsn (analysis)'];
const ANALYSIS_FIELDS = new Set(['tcp.option_kind', 'mptcp.ack', 'mptcp.dss.dsn', 'mptcp.expected_token', 'mptcp.expected_idsn']);

const P = 'tcp.options.mptcp.';
const hex = (n: number, digits: number) => `0x${n.toString(16).padStart(digits, '0')}`;
const bit = (b: boolean | number) => (b ? '1' : '0');
const u64 = (bytes: Uint8Array) => BigInt(`0x${toHex(bytes)}`).toString();
const colons = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':');

/** The tshark fields (name → value as tshark prints it) our decoded option implies. */
function expectedFields(o: MptcpOption): TsharkFields {
  const f: TsharkFields = { 'tcp.option_len': String(mptcpOptionLength(o)) };
  switch (o.subtype) {
    case 'mp_capable': {
      Object.assign(f, {
        [`${P}subtype`]: '0',
        [`${P}version`]: String(o.version),
        [`${P}flags`]: hex(o.flags, 2),
        [`${P}checksumreq.flags`]: bit(o.flags & 0x80),
        [`${P}extensibility.flag`]: bit(o.flags & 0x40),
        [`${P}reserved.flag`]: hex((o.flags & 0x1e) >> 1, 2),
      });
      if (o.version === 0) f[`${P}sha1.flag`] = bit(o.flags & 0x01);
      else {
        f[`${P}sha256.flag`] = bit(o.flags & 0x01);
        f[`${P}nomoresubflows.flag`] = bit(o.flags & 0x20);
      }
      if (o.senderKey !== undefined) f[`${P}sendkey`] = o.senderKey.toString();
      if (o.receiverKey !== undefined) f[`${P}recvkey`] = o.receiverKey.toString();
      if (o.dataLen !== undefined) f[`${P}datalvllen`] = String(o.dataLen);
      if (o.checksum !== undefined) f[`${P}checksum`] = hex(o.checksum, 4);
      return f;
    }
    case 'mp_join':
      f[`${P}subtype`] = '1';
      if (o.form === 'ack') {
        f[`${P}reserved`] = hex(o.reserved ?? 0, 4);
        f[`${P}sendhmac`] = colons(o.hmac!);
        return f;
      }
      f[`${P}flags`] = hex(0x10 | ((o.reserved ?? 0) << 1) | (o.backup ? 1 : 0), 2);
      f[`${P}backup.flag`] = bit(o.backup);
      f[`${P}addrid`] = String(o.addressId);
      f[`${P}sendrand`] = String(o.nonce);
      if (o.form === 'syn') f[`${P}recvtok`] = String(o.token);
      else f[`${P}sendtrunchmac`] = u64(o.hmac!);
      return f;
    case 'dss': {
      const flags = (o.dataFin ? 0x10 : 0) | (o.dsn64 ? 0x08 : 0) | (o.dsn !== undefined ? 0x04 : 0) | (o.dataAck64 ? 0x02 : 0) | (o.dataAck !== undefined ? 0x01 : 0);
      Object.assign(f, {
        [`${P}subtype`]: '2',
        [`${P}flags`]: hex(flags, 2),
        [`${P}datafin.flag`]: bit(o.dataFin),
        [`${P}dseqn8.flag`]: bit(o.dsn64),
        [`${P}dseqnpresent.flag`]: bit(o.dsn !== undefined),
        [`${P}dataack8.flag`]: bit(o.dataAck64),
        [`${P}dataackpresent.flag`]: bit(o.dataAck !== undefined),
      });
      if (o.dataAck !== undefined) f[`${P}rawdataack`] = o.dataAck.toString();
      if (o.dsn !== undefined) {
        f[`${P}rawdataseqno`] = o.dsn.toString();
        f[`${P}subflowseqno`] = String(o.ssn);
        f[`${P}datalvllen`] = String(o.dll);
      }
      return f;
    }
    case 'add_addr':
      f[`${P}subtype`] = '3';
      if (o.version === 0) f[`${P}ipver`] = String(o.nibble);
      else f[`${P}echo`] = bit(o.echo);
      f[`${P}addrid`] = String(o.addressId);
      f[o.address.includes(':') ? `${P}ipv6` : `${P}ipv4`] = o.address;
      if (o.port !== undefined) f[`${P}port`] = String(o.port);
      if (o.hmac !== undefined) f[`${P}addaddrtrunchmac`] = u64(o.hmac);
      return f;
    case 'remove_addr':
      f[`${P}subtype`] = '4';
      f['mptcp.rm_addr.count'] = String(o.addressIds.length);
      f[`${P}addrid`] = o.addressIds.length === 1 ? String(o.addressIds[0]) : o.addressIds.map(String);
      return f;
    case 'mp_prio':
      f[`${P}subtype`] = '5';
      f[`${P}flags`] = hex(0x50 | (o.backup ? 1 : 0), 2);
      f[`${P}backup.flag`] = bit(o.backup);
      if (o.addressId !== undefined) f[`${P}addrid`] = String(o.addressId);
      return f;
    case 'mp_fail':
      f[`${P}subtype`] = '6';
      f[`${P}reserved`] = hex(o.reserved ?? 0, 4);
      f[`${P}rawdataseqno`] = o.dsn.toString();
      return f;
    case 'mp_fastclose':
      f[`${P}subtype`] = '7';
      f[`${P}reserved`] = hex(o.reserved ?? 0, 4);
      f[`${P}recvkey`] = o.receiverKey.toString();
      return f;
    case 'mp_tcprst':
      Object.assign(f, {
        [`${P}subtype`]: '8',
        [`${P}flags`]: hex(0x80 | o.flags, 2),
        [`${P}flag_U.flag`]: bit(o.flags & 8),
        [`${P}flag_V.flag`]: bit(o.flags & 4),
        [`${P}flag_W.flag`]: bit(o.flags & 2),
        [`${P}flag_T.flag`]: bit(o.flags & 1),
        [`${P}rst_reason`]: hex(o.reason, 2),
      });
      return f;
    case 'unknown':
      return f;
  }
}

/** The MPTCP options of one TCP option list, with each one's offset in the option space. */
function mptcpWithOffsets(options: TcpOption[], optionBytes: Uint8Array): Array<{ option: MptcpOption; offset: number }> {
  const out: Array<{ option: MptcpOption; offset: number }> = [];
  let at = 0;
  // Walk the raw option space (as tshark printed it) in parallel with the decoded options.
  for (const option of options) {
    const kind = optionBytes[at];
    const len = kind === 0 || kind === 1 ? 1 : optionBytes[at + 1] ?? 1;
    if (option.kind === 'mptcp') out.push({ option, offset: at });
    at += len;
  }
  return out;
}

function compareFrame(t: ExecutionContext, label: string, options: TcpOption[], tshark: { optionBytes?: string; mptcp: TsharkFields[] }): number {
  const raw = Uint8Array.from((tshark.optionBytes ?? '').split(':').filter(Boolean).map((h) => parseInt(h, 16)));
  const ours = mptcpWithOffsets(options, raw);
  t.is(tshark.mptcp.length, ours.length, `${label}: tshark sees as many MPTCP options`);
  let compared = 0;
  ours.forEach(({ option, offset }, i) => {
    const theirs = tshark.mptcp[i] ?? {};
    const expected = expectedFields(option);
    for (const [field, value] of Object.entries(expected)) {
      t.deepEqual(theirs[field], value, `${label}, option ${i + 1} (${option.subtype}): ${field}`);
      compared++;
    }
    for (const field of Object.keys(theirs)) {
      if (!(field in expected) && !ANALYSIS_FIELDS.has(field)) t.fail(`${label}: tshark field ${field}=${String(theirs[field])} is not compared`);
    }
    // Crypto: tshark derives token and IDSN from the key it saw; so do we.
    if (option.subtype === 'mp_capable' && option.senderKey !== undefined) {
      const version = option.version === 0 ? 0 : 1;
      t.is(theirs['mptcp.expected_idsn'], keyIdsn(option.senderKey, version).toString(), `${label}: IDSN`);
      const token = theirs['mptcp.expected_token'];
      if (token !== '0') t.is(token, String(keyToken(option.senderKey, version)), `${label}: token`);
    }
    // DSS checksum: tshark does not print it; it must be the option's last 2 bytes as tshark delimits it.
    if (option.subtype === 'dss' && option.checksum !== undefined) {
      const end = offset + Number(theirs['tcp.option_len']);
      t.is((raw[end - 2]! << 8) | raw[end - 1]!, option.checksum, `${label}: DSS checksum bytes`);
    }
  });
  return compared;
}

function tempDir(t: ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'mptcpdrill-tshark-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const check = tsharkAvailable ? test : test.skip;

check('every MPTCP subtype and flag combination decodes as tshark 4.0 decodes it', (t) => {
  const cases = mptcpCases();
  const file = join(tempDir(t), 'cases.pcap');
  writeFileSync(file, encodePcap(cases.map((c, i) => ({ ip: encodeIp(c.packet), time: 1_700_000_000 + i }))));
  const frames = tsharkFrames(file);
  t.is(frames.length, cases.length);
  const read = readCapture(readFileSync(file));
  let compared = 0;
  cases.forEach((c, i) => {
    const pkt = decodeIp(read.frames[i]!.ip!);
    t.deepEqual(pkt.errors, [], c.name);
    const options = pkt.tcp!.options;
    t.deepEqual(options.filter((o) => o.kind === 'mptcp').map((o) => o.subtype), c.options.map((o) => o.subtype), c.name);
    compared += compareFrame(t, c.name, options, frames[i]!);
  });
  t.log(`${cases.length} packets, ${compared} fields compared; not comparable with tshark 4.0: ${TSHARK_CANNOT.join('; ')}`);
  t.true(compared > 1000);
});

check('the real capture decodes as tshark 4.0 decodes it', (t) => {
  const frames = tsharkFrames(realCapturePath);
  const read = readCapture(readFileSync(realCapturePath));
  t.is(frames.length, read.frames.length);
  let compared = 0;
  read.frames.forEach((frame, i) => {
    const pkt = decodeIp(frame.ip!);
    compared += compareFrame(t, `frame ${frame.index}`, pkt.tcp!.options, frames[i]!);
  });
  t.true(compared > 500);
});
