import test from 'ava';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LinkType, readCapture } from '../src/pcap/index.js';
import { decodeIp, encodeIp } from '../src/wire/codec.js';
import { classicPcap, concat, ngBlocks } from './helpers/capture-builder.js';
import { hasStackTrace, lines, runCli, runNode } from './helpers/cli.js';
import { TcpFlag, tcpPacket, udpPacket } from './helpers/packets.js';
import { cliPath, realCapturePath } from './helpers/paths.js';

const real = readFileSync(realCapturePath);
const realFrames = readCapture(real).frames;

function tempDir(t: { teardown: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'mptcpdrill-decode-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('decode prints one .pkt line per TCP packet of the real capture, MPTCP options decoded', async (t) => {
  const r = await runCli(['decode', realCapturePath]);
  t.is(r.status, 0);
  t.is(r.stderr, '');
  const out = lines(r.stdout);
  t.is(out.length, realFrames.length);
  t.regex(out[0]!, /^0\.000000 10\.0\.1\.1:\d+ > 10\.0\.1\.2:5201 S \d+:\d+\(0\) win \d+ <.*mpcapable v1 flags\[flag_h\] nokey>$/);
  t.true(out.some((l) => /[<,]mp_join_syn backup=0 address_id=\d+ token=\d+ /.test(l)));
  t.true(out.some((l) => /[<,]add_address address_id=1 addr\[10\.0\.2\.2\] hmac=0x[0-9a-f]{16}/.test(l)));
  t.true(out.some((l) => /[<,]add_address address_id=1 addr\[10\.0\.2\.2\] addr_echo/.test(l)));
  t.true(out.some((l) => /[<,]dss dack[48]=\d+ dsn8=\d+ ssn=0 dll=1 nocs fin[,>]/.test(l)), 'a bare DATA_FIN');
  // Times are seconds since the first frame and never go backwards.
  const times = out.map((l) => Number(l.split(' ')[0]));
  t.deepEqual([...times].sort((a, b) => a - b), times);
});

test('decode --relative: seq/ack from each subflow ISN, DSN from the IDSN, contiguous across both subflows', async (t) => {
  const r = await runCli(['decode', '--relative', realCapturePath]);
  t.is(r.status, 0);
  const out = lines(r.stdout);
  const syns = out.filter((l) => / S\.? /.test(l));
  t.is(syns.length, 4, 'two SYNs and two SYN-ACKs');
  for (const l of syns) t.regex(l, / S\.? 0:0\(0\) /);
  for (const l of syns.filter((s) => / S\. /.test(s))) t.regex(l, / ack 1 /);
  // Every mapping the client sent, on either subflow, in DSN order: starts at 1, no gap.
  const mappings = out
    .filter((l) => l.includes(' 10.0.1.1:') || l.includes(' 10.0.2.1:'))
    .filter((l) => /^\S+ 10\.0\.[12]\.1:/.test(l))
    .map((l) => /dsn8=(\d+) ssn=\d+ dll=(\d+)/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => [Number(m[1]), Number(m[2])] as const)
    .filter(([, dll]) => dll > 1)
    .sort((a, b) => a[0] - b[0]);
  t.true(mappings.length >= 16);
  t.is(mappings[0]![0], 1);
  for (let i = 1; i < mappings.length; i++) t.is(mappings[i]![0], mappings[i - 1]![0] + mappings[i - 1]![1]);
  // The data went over both subflows.
  t.true(out.some((l) => /^\S+ 10\.0\.2\.1:\d+ > 10\.0\.2\.2:5201 P\. 1:701\(700\)/.test(l)));
  // Relative DATA_ACKs from the server acknowledge what the client sent: the largest equals 1 + all bytes.
  const total = mappings.reduce((sum, [, dll]) => sum + dll, 0);
  const dacks = out.filter((l) => /^\S+ 10\.0\.[12]\.2:5201/.test(l)).map((l) => Number(/dack8=(\d+)/.exec(l)?.[1] ?? 0));
  t.true(dacks.includes(1 + total) || dacks.includes(2 + total), 'the last DATA_ACK covers all data (and the DATA_FIN)');
});

test('decode --json prints one object per TCP packet with frame, time and the decoded options', async (t) => {
  const r = await runCli(['decode', '--json', realCapturePath]);
  t.is(r.status, 0);
  const objects = lines(r.stdout).map((l) => JSON.parse(l) as { frame: number; time: number; options: Array<{ subtype?: string }> });
  t.is(objects.length, realFrames.length);
  t.deepEqual(objects.map((o) => o.frame), realFrames.map((f) => f.index));
  t.deepEqual(objects.map((o) => o.time), realFrames.map((f) => f.time));
  const subtypes = new Set(objects.flatMap((o) => o.options.map((x) => x.subtype)).filter(Boolean));
  for (const s of ['mp_capable', 'mp_join', 'dss', 'add_addr', 'mp_prio']) t.true(subtypes.has(s), s);
});

test('decode skips non-TCP frames, counting them on stderr with -v', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'mixed.pcap');
  const tcp = encodeIp(tcpPacket({ flags: TcpFlag.SYN, seq: 1000 }));
  const eth = (ethertype: number, body: Uint8Array) => Uint8Array.from([...new Uint8Array(12), ethertype >> 8, ethertype & 0xff, ...body]);
  writeFileSync(
    file,
    classicPcap({ endian: 'be', linktype: LinkType.ETHERNET }, [
      { data: eth(0x0806, new Uint8Array(28)), seconds: 5, fraction: 0 },
      { data: eth(0x0800, encodeIp(udpPacket())), seconds: 5, fraction: 1000 },
      { data: eth(0x0800, tcp), seconds: 5, fraction: 2000 },
    ]),
  );
  const quiet = await runCli(['decode', file]);
  t.is(quiet.status, 0);
  t.is(quiet.stderr, '');
  t.deepEqual(lines(quiet.stdout), ['0.002000 192.0.2.1:40000 > 192.0.2.2:8080 S 1000:1000(0) win 502']);
  const verbose = await runCli(['decode', '-v', file]);
  t.is(verbose.status, 0);
  t.is(verbose.stderr, '3 frames, 1 TCP; skipped 1 non-IP and 1 non-TCP frames\n');
});

test('decode of a link type it cannot read is an error (exit 2), not a silent exit 0; frames it can read still print', async (t) => {
  const dir = tempDir(t);
  const tcp = encodeIp(tcpPacket({ flags: TcpFlag.SYN, seq: 1000 }));
  const usb = join(dir, 'usb.pcap');
  writeFileSync(usb, classicPcap({ endian: 'le', linktype: 147 }, [{ data: tcp, seconds: 1, fraction: 0 }, { data: tcp, seconds: 2, fraction: 0 }]));
  const r = await runCli(['decode', usb]);
  t.is(r.status, 2);
  t.is(r.stdout, '');
  t.deepEqual(lines(r.stderr), [`mptcpdrill decode: ${usb}: 2 frames have link type 147, which decode cannot read (it reads Ethernet (1), raw IP (101, 228, 229, 12, 14), BSD loopback (0, 108) and Linux cooked capture (113, 276))`]);
  const mixed = join(dir, 'mixed.pcapng');
  writeFileSync(mixed, concat(ngBlocks.shb('le'), ngBlocks.idb('le', LinkType.RAW), ngBlocks.idb('le', 147), ngBlocks.epb('le', 0, 1n, tcp), ngBlocks.epb('le', 1, 2n, tcp)));
  const m = await runCli(['decode', mixed]);
  t.is(m.status, 2);
  t.is(lines(m.stdout).length, 1, 'the raw IP interface\'s packet prints');
  t.regex(m.stderr, /1 frame has link type 147, which decode cannot read/);
});

test('decode of a missing file: one sentence, exit 2, no stack trace', async (t) => {
  const r = await runCli(['decode', '/nonexistent/capture.pcap']);
  t.is(r.status, 2);
  t.is(r.stdout, '');
  t.deepEqual(lines(r.stderr), ['mptcpdrill decode: cannot read /nonexistent/capture.pcap: no such file or directory']);
});

test('decode of a file that is not a capture: one sentence, exit 2', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'notes.txt');
  writeFileSync(file, 'just some text\n');
  const r = await runCli(['decode', file]);
  t.is(r.status, 2);
  t.deepEqual(lines(r.stderr), [`mptcpdrill decode: ${file}: not a pcap or pcapng capture`]);
  t.false(hasStackTrace(r.stderr));
});

test('decode of a truncated capture prints the packets before the damage, then one sentence, exit 2', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'cut.pcap');
  const cut = real.subarray(0, real.length - 30);
  writeFileSync(file, cut);
  const survivors = readCapture(cut).frames.length;
  t.true(survivors > 0 && survivors < realFrames.length);
  const r = await runCli(['decode', file]);
  t.is(r.status, 2);
  t.is(lines(r.stdout).length, survivors);
  const full = lines((await runCli(['decode', realCapturePath])).stdout);
  t.deepEqual(lines(r.stdout), full.slice(0, survivors));
  const err = lines(r.stderr);
  t.is(err.length, 1);
  t.regex(err[0]!, new RegExp(`^mptcpdrill decode: .*cut\\.pcap: record ${survivors + 1} is truncated .*\\(after ${survivors} frames\\)$`));
});

test('decode --json: a checksum left partial by offload is checksum "partial", not an error; real damage stays in errors', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'offload.pcap');
  const good = encodeIp(tcpPacket({ flags: TcpFlag.ACK, seq: 5, ack: 6, payload: new Uint8Array(10).fill(7) }));
  // What a host capturing its own outgoing segments records: only the pseudo-header sum (IPv4,
  // 20-byte IP header: addresses at 12 and 16, TCP checksum at 20 + 16).
  const partial = Uint8Array.from(good);
  const tcpLength = partial.length - 20;
  let sum = 6 + tcpLength;
  for (let i = 12; i < 20; i += 2) sum += (partial[i]! << 8) | partial[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  partial[36] = sum >> 8;
  partial[37] = sum & 0xff;
  const damaged = Uint8Array.from(good);
  damaged[37] ^= 0x55;
  writeFileSync(file, classicPcap({ endian: 'le', linktype: LinkType.RAW }, [good, partial, damaged].map((data, i) => ({ data, seconds: i, fraction: 0 }))));
  const r = await runCli(['decode', '--json', file]);
  t.is(r.status, 0);
  const [a, b, c] = lines(r.stdout).map((l) => JSON.parse(l) as Record<string, unknown>);
  t.false('errors' in a! || 'checksum' in a!);
  t.is(b!['checksum'], 'partial');
  t.false('errors' in b!, 'a partial checksum is not damage');
  t.false('checksum' in c!);
  t.regex((c!['errors'] as string[])[0]!, /^TCP checksum 0x[0-9a-f]{4} is wrong/);
});

test('decode of a packet with damage shows the decoder errors on its line', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'bad.pcap');
  const bytes = encodeIp(tcpPacket({ flags: TcpFlag.ACK, seq: 5, ack: 6 }));
  bytes[bytes.length - 1] ^= 0xff; // corrupts the TCP checksum (last byte of the urgent pointer)
  writeFileSync(file, classicPcap({ endian: 'le', linktype: LinkType.RAW }, [{ data: bytes, seconds: 1, fraction: 0 }]));
  const r = await runCli(['decode', file]);
  t.is(r.status, 0);
  const expected = decodeIp(bytes).errors;
  t.true(expected.length > 0);
  t.true(lines(r.stdout)[0]!.endsWith(expected.join('; ')));
});

test('usage errors: missing FILE, extra argument, unknown flag, --json with --relative', async (t) => {
  for (const [args, sentence] of [
    [['decode'], 'mptcpdrill decode: missing the capture FILE to decode.'],
    [['decode', 'a', 'b'], 'mptcpdrill decode: unexpected argument b.'],
    [['decode', '--bogus', 'a'], 'mptcpdrill decode: unknown option --bogus.'],
    [['decode', '--json', '--relative', 'a'], 'mptcpdrill decode: --relative applies to text output; --json always prints wire values.'],
  ] as const) {
    const r = await runCli([...args]);
    t.is(r.status, 2, args.join(' '));
    const err = lines(r.stderr);
    t.is(err[0], sentence);
    t.true(err.includes('Usage: mptcpdrill decode FILE [--json] [--relative] [-v]'));
    t.is(r.stdout, '');
  }
});

test('global CLI: --help, help <cmd>, --version, unknown command, no command', async (t) => {
  const help = await runCli(['--help']);
  t.is(help.status, 0);
  t.regex(help.stdout, /^Usage: mptcpdrill <command>/);
  t.regex(help.stdout, /^ {2}decode {2}/m);
  const cmdHelp = await runCli(['decode', '--help']);
  t.is(cmdHelp.status, 0);
  t.regex(cmdHelp.stdout, /^Usage: mptcpdrill decode FILE/);
  t.is((await runCli(['help', 'decode'])).stdout, cmdHelp.stdout);
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  const version = await runCli(['--version']);
  t.is(version.status, 0);
  t.is(version.stdout, `mptcpdrill ${pkg.version}\n`);
  const unknown = await runCli(['frobnicate']);
  t.is(unknown.status, 2);
  t.is(lines(unknown.stderr)[0], "mptcpdrill: unknown command 'frobnicate'.");
  t.regex(unknown.stderr, /Usage: mptcpdrill <command>/);
  const none = await runCli([]);
  t.is(none.status, 2);
  t.regex(none.stderr, /^Usage: mptcpdrill <command>/);
});

test('the launcher says how to build when dist/ is missing', async (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'bin'));
  copyFileSync(cliPath, join(dir, 'bin', 'mptcpdrill.js'));
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  const r = await runNode(join(dir, 'bin', 'mptcpdrill.js'), ['decode', 'x']);
  t.is(r.status, 2);
  t.deepEqual(lines(r.stderr), ['mptcpdrill is not built (dist/ is missing): run npm install (which builds) first.']);
});

test('decode of the real capture rewritten as big-endian pcapng (raw IP, microseconds) prints the same lines', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'real.pcapng');
  const blocks = [ngBlocks.shb('be'), ngBlocks.idb('be', LinkType.RAW, 6)];
  for (const f of realFrames) blocks.push(ngBlocks.epb('be', 0, BigInt(Math.round(f.time * 1e6)), f.ip!));
  writeFileSync(file, concat(...blocks));
  const r = await runCli(['decode', '--relative', file]);
  t.is(r.status, 0);
  t.is(r.stdout, (await runCli(['decode', '--relative', realCapturePath])).stdout);
});
