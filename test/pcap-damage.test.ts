import test from 'ava';
import { tmpdir } from 'node:os';
import { LinkType, readCapture, readCaptureFile } from '../src/pcap/index.js';
import { classicPcap, concat, fakeIp, ngBlocks } from './helpers/capture-builder.js';

const v4 = fakeIp(4, 1);
const good = (n: number) => Array.from({ length: n }, (_, i) => ({ data: fakeIp(4, i), seconds: i, fraction: 0 }));

test('garbage and empty input are not captures', (t) => {
  t.deepEqual(readCapture(new TextEncoder().encode('hello, this is text')), { frames: [], error: 'not a pcap or pcapng capture' });
  t.regex(readCapture(new Uint8Array(0)).error!, /^not a pcap or pcapng capture/);
  t.regex(readCapture(Uint8Array.from([0xd4, 0xc3])).error!, /^not a pcap or pcapng capture/);
});

test('truncated pcap file header', (t) => {
  const r = readCapture(classicPcap({ endian: 'le', linktype: LinkType.RAW }, []).subarray(0, 10));
  t.is(r.error, 'pcap file header is truncated (10 of 24 bytes)');
  t.deepEqual(r.frames, []);
});

test('truncated record keeps the frames before it', (t) => {
  const file = classicPcap({ endian: 'be', linktype: LinkType.RAW }, good(3));
  const cut = file.subarray(0, file.length - 5);
  const r = readCapture(cut);
  t.is(r.frames.length, 2);
  t.deepEqual([...r.frames[1]!.ip!], [...fakeIp(4, 1)]);
  t.is(r.error, 'record 3 is truncated (24 bytes announced, 19 left in the file)');
});

test('truncated record header', (t) => {
  const file = classicPcap({ endian: 'le', linktype: LinkType.RAW }, good(1));
  const r = readCapture(concat(file, new Uint8Array(7)));
  t.is(r.frames.length, 1);
  t.is(r.error, 'record 2 header is truncated (7 of 16 bytes)');
});

test('a record whose length lies beyond any snap length', (t) => {
  const file = classicPcap({ endian: 'le', linktype: LinkType.RAW }, [...good(1), { data: v4, seconds: 0, fraction: 0, capturedLength: 0x7fffffff }]);
  const r = readCapture(file);
  t.is(r.frames.length, 1);
  t.regex(r.error!, /^record 2 claims 2147483647 captured bytes/);
});

test('pcapng: block length that is not a multiple of 4', (t) => {
  const shb = ngBlocks.shb('le');
  const bad = Uint8Array.from(shb);
  new DataView(bad.buffer).setUint32(4, 27, true);
  t.is(readCapture(bad).error, 'block at offset 0 has an invalid length 27');
});

test('pcapng: block that claims more bytes than the file holds keeps earlier frames', (t) => {
  const file = concat(ngBlocks.shb('be'), ngBlocks.idb('be', LinkType.RAW), ngBlocks.epb('be', 0, 1n, v4), ngBlocks.epb('be', 0, 2n, v4));
  const r = readCapture(file.subarray(0, file.length - 8));
  t.is(r.frames.length, 1);
  t.regex(r.error!, /^block at offset \d+ is truncated \(\d+ bytes announced, \d+ left in the file\)$/);
});

test('pcapng: trailing length that disagrees with the leading one', (t) => {
  const file = concat(ngBlocks.shb('le'), ngBlocks.idb('le', LinkType.RAW), ngBlocks.withTrailingLength('le', 6, new Uint8Array(20), 12));
  const r = readCapture(file);
  t.is(r.frames.length, 0);
  t.regex(r.error!, /lies about its length \(32 at the start, 12 at the end\)/);
});

test('pcapng: captured length larger than the block', (t) => {
  const file = concat(ngBlocks.shb('le'), ngBlocks.idb('le', LinkType.RAW), ngBlocks.epb('le', 0, 0n, v4, 200));
  t.regex(readCapture(file).error!, /claims 200 captured bytes but holds 24/);
});

test('pcapng: packet for an interface that was never declared', (t) => {
  const file = concat(ngBlocks.shb('le'), ngBlocks.epb('le', 3, 0n, v4));
  t.regex(readCapture(file).error!, /refers to interface 3, but the section declares 0/);
});

test('pcapng: section header with a bad byte-order magic', (t) => {
  const shb = Uint8Array.from(ngBlocks.shb('le'));
  shb[8] = 0x99;
  t.regex(readCapture(shb).error!, /no valid byte-order magic/);
});

test('random bytes never throw', (t) => {
  let seed = 12345;
  const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  const headers = [classicPcap({ endian: 'le', linktype: LinkType.ETHERNET }, []), concat(ngBlocks.shb('le'), ngBlocks.idb('le', LinkType.LINUX_SLL))];
  for (let i = 0; i < 2000; i++) {
    const tail = Uint8Array.from({ length: next() % 200 }, () => next() & 0xff);
    const r = readCapture(concat(headers[i % 2]!, tail));
    t.true(Array.isArray(r.frames));
  }
});

test('readCaptureFile turns file-system failures into a sentence', (t) => {
  t.deepEqual(readCaptureFile('/nonexistent/x.pcap'), { frames: [], error: 'cannot read /nonexistent/x.pcap: no such file or directory' });
  t.deepEqual(readCaptureFile(tmpdir()), { frames: [], error: `cannot read ${tmpdir()}: it is a directory` });
});
