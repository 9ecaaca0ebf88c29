// The remote target's pieces that need no privileges: flag handling and role mapping, frame
// decapsulation, the capture filter, and the skip of scripts that make system calls.

import test from 'ava';
import { fileURLToPath } from 'node:url';
import { encodeIp } from '../src/wire/codec.js';
import { samplePacket } from '../src/wire/sample-packets.js';
import { captureFilter, ipPayload } from '../src/targets/remote/capture.js';
import { remoteTargetFromFlags, remoteTargetOverrides } from '../src/targets/remote/cli-options.js';
import { createRemoteTarget } from '../src/targets/remote/remote-target.js';
import { loadScript } from '../src/script/load.js';
import { prepareRun } from '../src/engine/prepare.js';
import { runScript } from '../src/engine/run.js';

test('the stack under test becomes local_ip and our address remote_ip', (t) => {
  t.deepEqual(remoteTargetOverrides('10.0.0.9', '10.0.0.1'), { local_ip: '10.0.0.9', remote_ip: '10.0.0.1/32' });
  t.deepEqual(remoteTargetOverrides('2001:db8::9', '2001:db8::1'), { local_ip: '2001:db8::9', remote_ip: '2001:db8::1/128', ip_version: 'ipv6' });
});

test('flags: missing or malformed ones are one sentence, good ones give a remote target', (t) => {
  const bad = [
    remoteTargetFromFlags({ remoteIp: '10.0.0.9' }),
    remoteTargetFromFlags({ iface: 'lo' }),
    remoteTargetFromFlags({ iface: 'lo', remoteIp: 'not-an-ip' }),
    remoteTargetFromFlags({ iface: 'lo', remoteIp: '10.0.0.9', localIp: '2001:db8::1' }),
    remoteTargetFromFlags({ iface: 'no-such-if0', remoteIp: '10.0.0.9' }),
  ];
  for (const r of bad) {
    t.false(r.ok);
    if (!r.ok) t.regex(r.message, /^[^\n]+$/);
  }
  const good = remoteTargetFromFlags({ iface: 'lo', remoteIp: '10.0.0.9', localIp: '10.0.0.1' });
  t.true(good.ok);
  if (good.ok) {
    t.is(good.target.name, 'remote');
    t.false(good.target.capabilities.syscalls);
    t.is(good.target.clock.kind, 'real');
    t.deepEqual(good.overrides, { local_ip: '10.0.0.9', remote_ip: '10.0.0.1/32' });
  }
  // Our address defaults to the interface's: lo has 127.0.0.1.
  const byIface = remoteTargetFromFlags({ iface: 'lo', remoteIp: '127.0.0.9' });
  t.true(byIface.ok && byIface.localIp === '127.0.0.1');
});

test('frames: the IP packet is cut out of Ethernet (with VLAN tags and padding) and cooked frames', (t) => {
  const ip = encodeIp(samplePacket([], 4, 0));
  const eth = (type: number[], extra: number[] = []): Uint8Array => new Uint8Array([...new Array(12).fill(0xaa), ...extra, ...type, ...ip, 0, 0, 0, 0]);
  t.deepEqual(ipPayload('ETHERNET', eth([0x08, 0x00])), ip, 'padding after the IP packet is dropped');
  t.deepEqual(ipPayload('ETHERNET', eth([0x08, 0x00], [0x81, 0x00, 0x00, 0x05])), ip);
  t.is(ipPayload('ETHERNET', eth([0x08, 0x06])), null, 'ARP is not IP');
  const sll = new Uint8Array([...new Array(14).fill(0), 0x08, 0x00, ...ip]);
  t.deepEqual(ipPayload('LINUX_SLL', sll), ip);
  t.deepEqual(ipPayload('RAW', ip), ip);
  t.is(ipPayload('IEEE802_11', ip), null);
});

test('the capture filter keeps TCP and ICMP from the stack\'s addresses only', (t) => {
  t.is(captureFilter(['10.0.0.9']), '(src host 10.0.0.9) and (tcp or icmp or icmp6)');
  t.is(captureFilter(['10.0.0.9', '10.0.0.10']), '(src host 10.0.0.9 or src host 10.0.0.10) and (tcp or icmp or icmp6)');
});

test('a script with system calls is a skip on the remote target, before anything is opened', async (t) => {
  const file = fileURLToPath(new URL('../../test/scripts/mptcp/capable/server-v1.pkt', import.meta.url));
  const overrides = remoteTargetOverrides('10.0.0.9', '10.0.0.1');
  const loaded = loadScript(file, { target: 'remote', cli: overrides });
  t.truthy(loaded.options);
  const target = createRemoteTarget({ iface: 'no-such-if0', remoteIp: '10.0.0.9', localIp: '10.0.0.1' });
  const r = await runScript(loaded, target, prepareRun(loaded.options!, 'remote', { seed: 1 }));
  t.is(r.status, 'skip');
  t.regex(r.skipReasons?.join(' ') ?? '', /remote target cannot make system calls/);
});

test('a missing interface is TargetUnavailable: the run is a skip with one sentence', async (t) => {
  const file = fileURLToPath(new URL('../../test/remote-scripts/fastclose-inbound.pkt', import.meta.url));
  const loaded = loadScript(file, { target: 'remote', cli: remoteTargetOverrides('10.0.0.9', '10.0.0.1') });
  const target = createRemoteTarget({ iface: 'no-such-if0', remoteIp: '10.0.0.9', localIp: '10.0.0.1' });
  const r = await runScript(loaded, target, prepareRun(loaded.options!, 'remote', { seed: 1 }));
  t.is(r.status, 'skip');
  t.regex(r.skipReasons?.[0] ?? '', /no-such-if0|root/);
});
