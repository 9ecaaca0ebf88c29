import test from 'ava';
import { LinkType, readCapture } from '../src/pcap/index.js';
import { classicPcap, concat, fakeIp, frameFor, ngBlocks, type Endian } from './helpers/capture-builder.js';

const v4 = fakeIp(4, 0x11);
const v6 = fakeIp(6, 0x22);
const endians: Endian[] = ['le', 'be'];

function ipOf(bytes: Uint8Array): number[][] {
  return readCapture(bytes).frames.map((f) => (f.ip ? [...f.ip] : []));
}

for (const endian of endians) {
  test(`classic pcap ${endian} microseconds, RAW: frames, times, indices`, (t) => {
    const file = classicPcap({ endian, linktype: LinkType.RAW }, [
      { data: v4, seconds: 1700000000, fraction: 250000 },
      { data: v6, seconds: 1700000001, fraction: 5 },
    ]);
    const r = readCapture(file);
    t.is(r.format, 'pcap');
    t.is(r.error, undefined);
    t.deepEqual(r.frames.map((f) => f.index), [1, 2]);
    t.is(r.frames[0]!.time, 1700000000.25);
    t.true(Math.abs(r.frames[1]!.time - 1700000001.000005) < 1e-7);
    t.deepEqual(ipOf(file), [[...v4], [...v6]]);
    t.is(r.frames[0]!.linktype, LinkType.RAW);
  });

  test(`classic pcap ${endian} nanoseconds`, (t) => {
    const file = classicPcap({ endian, nano: true, linktype: LinkType.RAW }, [{ data: v4, seconds: 10, fraction: 123456789 }]);
    const r = readCapture(file);
    t.true(Math.abs(r.frames[0]!.time - 10.123456789) < 1e-9);
  });

  for (const linktype of [LinkType.RAW_BSD12, LinkType.RAW_BSD14]) {
    test(`classic pcap ${endian} link type ${linktype} is raw IP`, (t) => {
      const file = classicPcap({ endian, linktype }, [{ data: v6, seconds: 0, fraction: 0 }]);
      t.deepEqual(ipOf(file), [[...v6]]);
    });
  }

  test(`classic pcap ${endian} Ethernet, with and without 802.1Q, non-IP ethertype`, (t) => {
    const arp = concat(new Uint8Array(12), Uint8Array.from([0x08, 0x06]), new Uint8Array(28));
    const file = classicPcap({ endian, linktype: LinkType.ETHERNET }, [
      { data: frameFor.ethernet(v4), seconds: 1, fraction: 0 },
      { data: frameFor.ethernet(v6, true), seconds: 2, fraction: 0 },
      { data: arp, seconds: 3, fraction: 0 },
      { data: new Uint8Array(10), seconds: 4, fraction: 0 },
    ]);
    const r = readCapture(file);
    t.deepEqual([...r.frames[0]!.ip!], [...v4]);
    t.deepEqual([...r.frames[1]!.ip!], [...v6]);
    t.is(r.frames[2]!.ip, undefined);
    t.regex(r.frames[2]!.notIp!, /ethertype 0x0806 is not IPv4 or IPv6/);
    t.regex(r.frames[3]!.notIp!, /shorter than its 14-byte header/);
    t.is(r.error, undefined);
  });

  test(`classic pcap ${endian} Linux cooked SLL and SLL2`, (t) => {
    const sll = classicPcap({ endian, linktype: LinkType.LINUX_SLL }, [{ data: frameFor.sll(v6), seconds: 0, fraction: 0 }]);
    const sll2 = classicPcap({ endian, linktype: LinkType.LINUX_SLL2 }, [{ data: frameFor.sll2(v4), seconds: 0, fraction: 0 }]);
    t.deepEqual(ipOf(sll), [[...v6]]);
    t.deepEqual(ipOf(sll2), [[...v4]]);
  });

  for (const linktype of [LinkType.NULL, LinkType.LOOP]) {
    test(`classic pcap ${endian} loopback link type ${linktype}, family in either byte order`, (t) => {
      const file = classicPcap({ endian, linktype }, [
        { data: frameFor.loopback(v4, 2, 'le'), seconds: 0, fraction: 0 },
        { data: frameFor.loopback(v6, 30, 'be'), seconds: 0, fraction: 0 },
        { data: frameFor.loopback(v6, 10, 'le'), seconds: 0, fraction: 0 },
        { data: frameFor.loopback(v4, 7, 'be'), seconds: 0, fraction: 0 },
      ]);
      const r = readCapture(file);
      t.deepEqual([...r.frames[0]!.ip!], [...v4]);
      t.deepEqual([...r.frames[1]!.ip!], [...v6]);
      t.deepEqual([...r.frames[2]!.ip!], [...v6]);
      t.regex(r.frames[3]!.notIp!, /family 7 is not IPv4 or IPv6/);
    });
  }

  test(`pcapng ${endian}: interfaces with their own link types and resolutions, EPB/SPB/PB, unknown blocks skipped`, (t) => {
    const file = concat(
      ngBlocks.shb(endian),
      ngBlocks.idb(endian, LinkType.ETHERNET), // microseconds by default
      ngBlocks.other(endian, 4, new Uint8Array(8)), // name resolution block: skipped
      ngBlocks.idb(endian, LinkType.RAW, 9), // nanoseconds
      ngBlocks.idb(endian, LinkType.LINUX_SLL2, 0x80 | 10, 100n), // 2^-10 s, offset 100 s
      ngBlocks.epb(endian, 0, 1_500_000n, frameFor.ethernet(v4)),
      ngBlocks.epb(endian, 1, 1_700_000_000_123_456_789n, v6),
      ngBlocks.epb(endian, 2, 1024n * 3n + 512n, frameFor.sll2(v4)),
      ngBlocks.pb(endian, 1, 2_000_000_000n, v4),
      ngBlocks.other(endian, 0x0bad, new Uint8Array(4)),
    );
    const r = readCapture(file);
    t.is(r.format, 'pcapng');
    t.is(r.error, undefined);
    t.deepEqual(r.frames.map((f) => f.linktype), [LinkType.ETHERNET, LinkType.RAW, LinkType.LINUX_SLL2, LinkType.RAW]);
    t.deepEqual(r.frames.map((f) => f.index), [1, 2, 3, 4]);
    t.is(r.frames[0]!.time, 1.5);
    t.true(Math.abs(r.frames[1]!.time - 1700000000.123456789) < 1e-6);
    t.is(r.frames[2]!.time, 103.5);
    t.is(r.frames[3]!.time, 2);
    t.deepEqual(r.frames.map((f) => [...f.ip!]), [[...v4], [...v6], [...v4], [...v4]]);
  });

  test(`pcapng ${endian}: simple packet block uses interface 0 and has no time`, (t) => {
    const file = concat(ngBlocks.shb(endian), ngBlocks.idb(endian, LinkType.RAW), ngBlocks.spb(endian, v6));
    const r = readCapture(file);
    t.deepEqual([...r.frames[0]!.ip!], [...v6]);
    t.true(Number.isNaN(r.frames[0]!.time));
  });
}

test('pcapng: a second section with the other byte order resets the interfaces', (t) => {
  const file = concat(
    ngBlocks.shb('le'),
    ngBlocks.idb('le', LinkType.ETHERNET),
    ngBlocks.epb('le', 0, 1n, frameFor.ethernet(v4)),
    ngBlocks.shb('be'),
    ngBlocks.idb('be', LinkType.RAW),
    ngBlocks.epb('be', 0, 2n, v6),
  );
  const r = readCapture(file);
  t.is(r.error, undefined);
  t.deepEqual(r.frames.map((f) => f.linktype), [LinkType.ETHERNET, LinkType.RAW]);
  t.deepEqual(r.frames.map((f) => [...f.ip!]), [[...v4], [...v6]]);
});

test('unsupported link type is reported per frame, not as damage', (t) => {
  const r = readCapture(classicPcap({ endian: 'le', linktype: 147 }, [{ data: v4, seconds: 0, fraction: 0 }]));
  t.is(r.error, undefined);
  t.is(r.frames[0]!.notIp, 'link type 147 is not supported');
});
