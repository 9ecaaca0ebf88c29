// `decode` streams a capture: a file is read front to back through a bounded window
// (src/pcap/source.ts), each frame printed and dropped, so memory does not grow with the file
// (a 935 MB capture once took 1 GiB). Measured as the child process's peak RSS, not as time.

import test from 'ava';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pcapGlobalHeader, pcapRecord, readCapture, readCaptureFile } from '../src/pcap/index.js';
import { FileSource } from '../src/pcap/source.js';
import { encodeIp } from '../src/wire/codec.js';
import { runCliMeasured } from './helpers/rusage.js';
import { tcpPacket } from './helpers/packets.js';

/** A classic pcap of `count` 1400-byte TCP segments; returns its path. */
function bigCapture(dir: string, name: string, count: number): string {
  const path = join(dir, name);
  const fd = openSync(path, 'w');
  writeSync(fd, pcapGlobalHeader());
  const batch: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const ip = encodeIp(tcpPacket({ seq: 1 + i * 1400, ack: 1, payload: new Uint8Array(1400).fill(i & 0xff) }));
    batch.push(pcapRecord(ip, 1_000_000 + i / 1000));
    if (batch.length === 1000 || i === count - 1) {
      writeSync(fd, Buffer.concat(batch));
      batch.length = 0;
    }
  }
  closeSync(fd);
  return path;
}

test('decode of a 100 MB capture runs in memory far below the file size, no more than a small capture takes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mptcpdrill-stream-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const big = bigCapture(dir, 'big.pcap', 70_000);
  const small = bigCapture(dir, 'small.pcap', 500);
  const size = statSync(big).size;
  t.true(size > 100e6, `${size} bytes`);

  const bigRun = await runCliMeasured(['decode', '--relative', big]);
  t.is(bigRun.status, 0, bigRun.stderr);
  const lines = bigRun.stdout.split('\n').filter(Boolean);
  t.is(lines.length, 70_000);
  t.regex(lines[69_999]!, /^69\.999000 192\.0\.2\.1:40000 > 192\.0\.2\.2:8080 \. /);
  const smallRun = await runCliMeasured(['decode', '--relative', small]);
  t.is(smallRun.status, 0);
  const mb = (n: number): string => `${(n / 2 ** 20).toFixed(0)} MB`;
  t.log(`maxRSS: ${mb(bigRun.maxRssBytes)} for ${mb(size)}, ${mb(smallRun.maxRssBytes)} for ${mb(statSync(small).size)}`);
  t.true(bigRun.maxRssBytes < size, `maxRSS ${mb(bigRun.maxRssBytes)} below the file's ${mb(size)}`);
  // The output is collected by this test, not by the child; what the child holds is its window.
  t.true(bigRun.maxRssBytes - smallRun.maxRssBytes < 48 * 2 ** 20, `${mb(bigRun.maxRssBytes)} vs ${mb(smallRun.maxRssBytes)}`);
});

test('the file source reads forward through its window: views stay valid, skips and the end are handled', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mptcpdrill-source-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'bytes');
  const bytes = Buffer.alloc(3 * (1 << 20) + 5);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7) & 0xff;
  const fd = openSync(path, 'w');
  writeSync(fd, bytes);
  closeSync(fd);

  const source = new FileSource(path);
  const first = source.read(0, 10);
  t.deepEqual([...first], [...bytes.subarray(0, 10)]);
  const across = source.read((1 << 20) - 3, 8); // across the first chunk's end
  t.deepEqual([...across], [...bytes.subarray((1 << 20) - 3, (1 << 20) + 5)]);
  t.deepEqual([...first], [...bytes.subarray(0, 10)], 'a view handed out earlier is never overwritten');
  const skipped = source.read(2 * (1 << 20) + 100, 4); // beyond the window: read and dropped
  t.deepEqual([...skipped], [...bytes.subarray(2 * (1 << 20) + 100, 2 * (1 << 20) + 104)]);
  const big = source.read(2 * (1 << 20) + 100, 2 << 20); // more than the file holds
  t.is(big.length, bytes.length - (2 * (1 << 20) + 100));
  t.is(source.read(bytes.length + 10, 4).length, 0, 'past the end: nothing');
  t.throws(() => source.read(5, 1), { message: /backwards/ });
  source.close();
});

test('a file and the same bytes in memory read the same, damage included', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mptcpdrill-source-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = bigCapture(dir, 'c.pcap', 50);
  const whole = readCaptureFile(path);
  t.is(whole.frames.length, 50);
  t.is(whole.error, undefined);
  const cut = join(dir, 'cut.pcap');
  const full = readFileSync(path);
  writeFileSync(cut, full.subarray(0, full.length - 700));
  const fromFile = readCaptureFile(cut);
  const fromMemory = readCapture(full.subarray(0, full.length - 700));
  t.is(fromFile.frames.length, 49);
  t.is(fromFile.error, 'record 50 is truncated (1440 bytes announced, 740 left in the file)');
  t.deepEqual(fromFile.error, fromMemory.error);
  t.deepEqual(fromFile.frames.map((f) => [...f.ip!].join()), fromMemory.frames.map((f) => [...f.ip!].join()));
  t.regex(readCaptureFile(dir).error!, /it is a directory/);
});
