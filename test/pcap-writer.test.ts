import test from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LinkType, PcapWriter, encodePcap, readCapture } from '../src/pcap/index.js';
import { fakeIp } from './helpers/capture-builder.js';

test('writer output reads back: RAW link type, microsecond times, same bytes', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mptcpdrill-pcap-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'out.pcap');
  const writer = PcapWriter.open(path);
  const packets = Array.from({ length: 3000 }, (_, i) => ({ ip: fakeIp(i % 2 ? 6 : 4, i & 0xff), time: 1000 + i * 0.001234 }));
  for (const p of packets.slice(0, 10)) writer.append(p.ip, p.time);
  writer.flush();
  // After flush, a reader sees what was appended so far.
  t.is(readCapture(readFileSync(path)).frames.length, 10);
  for (const p of packets.slice(10)) writer.append(p.ip, p.time);
  writer.close();
  const r = readCapture(readFileSync(path));
  t.is(r.error, undefined);
  t.is(r.frames.length, packets.length);
  r.frames.forEach((f, i) => {
    t.is(f.linktype, LinkType.RAW);
    t.true(Math.abs(f.time - packets[i]!.time) < 1e-6);
    t.deepEqual([...f.ip!], [...packets[i]!.ip]);
  });
  t.throws(() => writer.append(fakeIp(4, 0), 0), { message: /already closed/ });
});

test('encodePcap equals what the incremental writer produces', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mptcpdrill-pcap-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const packets = [{ ip: fakeIp(4, 1), time: 0.9999996 }, { ip: fakeIp(6, 2), time: 5 }];
  const path = join(dir, 'a.pcap');
  const w = PcapWriter.open(path);
  for (const p of packets) w.append(p.ip, p.time);
  w.close();
  t.deepEqual([...readFileSync(path)], [...encodePcap(packets)]);
  // 0.9999996 s rounds up to the next second rather than writing 1000000 microseconds.
  t.is(readCapture(encodePcap(packets)).frames[0]!.time, 1);
});
