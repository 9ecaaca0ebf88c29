// The interop wire validator without root or kernel: two bundled stacks talk MPTCP to each other
// through an in-memory wire the validator watches. A clean exchange passes every check; a wire
// that alters one payload byte, one DSN or one DATA_ACK fails the matching check.
import test from 'ava';
import { decodeIp, encodeIp } from '../src/wire/codec.js';
import type { Dss } from '../src/wire/packet.js';
import { Stack } from '../src/stack/socket-api.js';
import { runStackApp, type StackAppResult } from '../src/interop/stack-app.js';
import { WireValidator } from '../src/interop/wire-validator.js';

const CLIENT_IP = '192.0.2.254';
const SERVER_IP = '192.0.2.1';
const SEEDS: Record<string, number> = { [CLIENT_IP]: 7, [SERVER_IP]: 42 };
const BYTES = 60_000;

type Mutator = (bytes: Uint8Array, index: number) => Uint8Array;

const yieldTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

function makeStack(seed: number, ip: string, checksum: boolean): Stack {
  const s = new Stack(seed);
  if (checksum) s.host.sysctls.set('net.mptcp.checksum_enabled', '1');
  s.host.mtu = 1500;
  s.host.addresses.add(ip);
  return s;
}

/** Runs a full exchange; `mutate` may rewrite any packet on the wire (index counts every packet). */
async function exchange(mutate: Mutator = (b) => b, checksum = false): Promise<{ v: WireValidator; client: StackAppResult; server: StackAppResult }> {
  const a = makeStack(1, CLIENT_IP, checksum);
  const b = makeStack(2, SERVER_IP, checksum);
  const v = new WireValidator({ seedOf: (ip) => SEEDS[ip] ?? -1 });
  let index = 0;
  const shuttle = (from: Stack, to: Stack): void => {
    for (let p = from.host.sent.shift(); p; p = from.host.sent.shift()) {
      const bytes = mutate(Uint8Array.from(p.bytes), index++);
      v.observe(bytes);
      to.inject(bytes);
    }
  };
  const server = runStackApp(b, { role: 'server', address: SERVER_IP, port: 80, bytes: BYTES, sendSeed: 42, expectSeed: 7 });
  const client = runStackApp(a, { role: 'client', address: SERVER_IP, port: 80, bytes: BYTES, sendSeed: 7, expectSeed: 42 });
  let settled = false;
  const both = Promise.all([client, server]).finally(() => { settled = true; });
  // 1 ms steps of virtual time; after the apps are done, 2 s more for the closing handshakes.
  let endAt = Number.POSITIVE_INFINITY;
  for (let t = 0; t < 60_000_000 && t < endAt; t += 1000) {
    a.clock.advanceTo(t);
    b.clock.advanceTo(t);
    shuttle(a, b);
    shuttle(b, a);
    await yieldTurn();
    if (settled && endAt === Number.POSITIVE_INFINITY) endAt = t + 2_000_000;
  }
  const [c, s] = await both;
  v.finish(BYTES);
  return { v, client: c, server: s };
}

/** Rewrites the TCP segment of a packet (checksums recomputed by the encoder). */
function rewrite(bytes: Uint8Array, edit: (dss: Dss | undefined, payload: Uint8Array) => Uint8Array | void): Uint8Array {
  const pkt = decodeIp(bytes);
  const seg = pkt.tcp!;
  const dss = seg.options.find((o): o is Dss => o.kind === 'mptcp' && o.subtype === 'dss');
  const payload = Uint8Array.from(seg.payload);
  const out = edit(dss, payload) ?? payload;
  return Uint8Array.from(encodeIp({ ...pkt, ip: { ...pkt.ip, checksum: undefined } as typeof pkt.ip, tcp: { ...seg, payload: out, checksum: undefined } }));
}

const isDataFrom = (bytes: Uint8Array, ip: string): boolean => {
  const p = decodeIp(bytes);
  return p.ip.src === ip && (p.tcp?.payload.length ?? 0) > 0;
};

test('a clean exchange between two bundled stacks passes every check', async (t) => {
  const { v, client, server } = await exchange();
  t.deepEqual([client.error, client.sent, client.received, client.mismatchAt], [null, BYTES, BYTES, -1]);
  t.deepEqual([server.error, server.sent, server.received, server.mismatchAt], [null, BYTES, BYTES, -1]);
  const failures = [...v.checks.byName].filter(([, c]) => c.failed > 0).map(([n, c]) => `${n}: ${c.failures[0]}`);
  t.deepEqual(failures, []);
  for (const name of ['mp-capable', 'stream-content', 'dsn-continuity', 'ssn-relative', 'data-ack', 'data-fin', 'data-fin-acked', 'tcp-fin', 'wire-bytes']) {
    t.true((v.checks.byName.get(name)?.passed ?? 0) > 0, `${name} was checked`);
  }
  t.is(v.conns.length, 1);
});

test('one altered payload byte fails stream-content (and the receiving app sees it)', async (t) => {
  let done = false;
  const { v, client } = await exchange((bytes) => {
    if (done || !isDataFrom(bytes, SERVER_IP)) return bytes;
    done = true;
    return rewrite(bytes, (_d, payload) => { payload[10] = (payload[10]! + 1) & 0xff; });
  });
  t.true(done);
  t.is(v.checks.byName.get('stream-content')?.failed, 1);
  t.is(client.mismatchAt, 10);
});

test('a DSN moved forward fails the mapping checks', async (t) => {
  let done = false;
  const { v } = await exchange((bytes) => {
    if (done || !isDataFrom(bytes, CLIENT_IP)) return bytes;
    const pkt = decodeIp(bytes);
    if (pkt.tcp!.options.every((o) => o.kind !== 'mptcp' || o.subtype !== 'dss')) return bytes;
    done = true;
    return rewrite(bytes, (dss) => { dss!.dsn = dss!.dsn! + 5000n; });
  });
  t.true(done);
  const failed = (n: string): number => v.checks.byName.get(n)?.failed ?? 0;
  t.true(failed('dsn-continuity') + failed('stream-content') > 0);
});

test('a DATA_ACK beyond what was sent fails data-ack', async (t) => {
  let done = false;
  const { v } = await exchange((bytes, i) => {
    if (done || i < 20) return bytes;
    const pkt = decodeIp(bytes);
    if (pkt.ip.src !== SERVER_IP) return bytes;
    const dss = pkt.tcp!.options.find((o): o is Dss => o.kind === 'mptcp' && o.subtype === 'dss');
    if (dss?.dataAck === undefined) return bytes;
    done = true;
    return rewrite(bytes, (d) => { d!.dataAck = d!.dataAck! + 10_000_000n; d!.dataAck64 = true; });
  });
  t.true(done);
  t.true((v.checks.byName.get('data-ack')?.failed ?? 0) > 0);
});

test('with checksums negotiated, every mapping verifies; an altered byte fails dss-checksum', async (t) => {
  const clean = await exchange(undefined, true);
  t.is(clean.v.checks.failed, 0);
  t.true((clean.v.checks.byName.get('dss-checksum')?.passed ?? 0) > 0);
  let done = false;
  const { v } = await exchange((bytes) => {
    if (done || !isDataFrom(bytes, CLIENT_IP)) return bytes;
    done = true;
    return rewrite(bytes, (_d, payload) => { payload[3] = (payload[3]! ^ 0x40) & 0xff; });
  }, true);
  t.true(done);
  t.true((v.checks.byName.get('dss-checksum')?.failed ?? 0) > 0);
});
