// The bundled stack's layering (issue 18): TCP (src/stack/tcp/) imports nothing from MPTCP
// (src/stack/mptcp/), which reaches a connection only through tcp/hooks.ts; and a connection with
// no upper layer (the hooks' TCP defaults) behaves exactly as a subflow without MPTCP does (what
// every plain TCP socket of the stack is), segment for segment.
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TcpSegment } from '../src/wire/packet.js';
import { Subflow } from '../src/stack/mptcp/subflow-socket.js';
import { Prng } from '../src/stack/prng.js';
import { Sysctls } from '../src/stack/sysctl.js';
import { TcpConnection, type ConnEnv, type SocketSettings } from '../src/stack/tcp/connection.js';
import type { FourTuple } from '../src/stack/tcp/endpoint.js';
import { VirtualClock } from '../src/stack/virtual-clock.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TCP_DIR = join(ROOT, 'src/stack/tcp');
const MPTCP_DIR = join(ROOT, 'src/stack/mptcp');

/** Module specifiers of every static or dynamic import and re-export in `source`. */
function specifiers(source: string): string[] {
  return [...source.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g)].map((m) => m[1]!);
}

test('nothing in src/stack/tcp/ imports from src/stack/mptcp/', (t) => {
  const files = readdirSync(TCP_DIR).filter((f) => f.endsWith('.ts'));
  t.true(files.includes('connection.ts') && files.includes('hooks.ts'));
  const offending: string[] = [];
  for (const f of files) {
    for (const spec of specifiers(readFileSync(join(TCP_DIR, f), 'utf8'))) {
      if (!spec.startsWith('.')) continue;
      const target = resolve(TCP_DIR, dirname(f), spec);
      if (!relative(MPTCP_DIR, target).startsWith('..')) offending.push(`${f}: ${spec}`);
    }
  }
  t.deepEqual(offending, []);
});

test('the import scan sees an import into mptcp/ (the check above can fail)', (t) => {
  const sample = "import { Subflow } from '../mptcp/subflow-socket.js';\nconst m = await import('../mptcp/pm.js');";
  const hits = specifiers(sample).map((s) => resolve(TCP_DIR, s)).filter((p) => !relative(MPTCP_DIR, p).startsWith('..'));
  t.is(hits.length, 2);
});

interface Wire { at: number; from: 'client' | 'server'; seg: TcpSegment }

const CLIENT: FourTuple = { family: 4, localIp: '192.168.0.1', localPort: 40000, remoteIp: '192.0.2.1', remotePort: 8080 };
const SERVER: FourTuple = { family: 4, localIp: '192.0.2.1', localPort: 8080, remoteIp: '192.168.0.1', remotePort: 40000 };
const settings = (): SocketSettings => ({ nodelay: false, cork: false, userMss: 0, rcvBuf: 131072, sndBuf: 16384, keepalive: { on: false, idle: 7200, intvl: 75, cnt: 9 } });

/**
 * A client and a server connection of class `make` back to back (10 ms one way): handshake,
 * 40 KB each way in writes of 10 KB, reads, both close; every segment with its time.
 */
function exchange(make: (env: ConnEnv, tuple: FourTuple) => TcpConnection): { wire: Wire[]; got: { client: number; server: number } } {
  const clock = new VirtualClock();
  const sysctls = new Sysctls();
  const prng = new Prng(7);
  const wire: Wire[] = [];
  const conns: { client?: TcpConnection; server?: TcpConnection } = {};
  const env = (from: 'client' | 'server'): ConnEnv => ({
    clock, sysctls, prng, mtu: 1500,
    send: (pkt) => {
      const seg = pkt.tcp;
      if (!seg) return;
      wire.push({ at: clock.now(), from, seg });
      const to = from === 'client' ? 'server' : 'client';
      clock.schedule(clock.now() + 10_000, () => {
        if (to === 'server' && !conns.server) {
          conns.server = make(env('server'), SERVER);
          conns.server.acceptSyn(seg);
        } else conns[to]?.input(seg);
      });
    },
    closed: () => {},
    established: () => {},
  });
  conns.client = make(env('client'), CLIENT);
  conns.client.connect();
  clock.advanceTo(100_000);
  const got = { client: 0, server: 0 };
  const piece = new Uint8Array(10_000).fill(0x61);
  for (let i = 0; i < 4; i++) {
    conns.client.write(piece);
    conns.server!.write(piece);
    clock.advanceTo(clock.now() + 50_000);
    got.server += conns.server!.read(1 << 20).length;
    got.client += conns.client.read(1 << 20).length;
  }
  clock.advanceTo(clock.now() + 1_000_000);
  got.server += conns.server!.read(1 << 20).length;
  got.client += conns.client.read(1 << 20).length;
  conns.client.close(false);
  clock.advanceTo(clock.now() + 100_000);
  conns.server!.close(false);
  clock.advanceTo(clock.now() + 120_000_000);
  return { wire, got };
}

const asText = (w: Wire[]): string[] =>
  w.map((x) => JSON.stringify({ ...x, seg: { ...x.seg, payload: x.seg.payload.length } }));

test('a connection with no upper layer sends what a subflow without MPTCP sends, segment for segment', (t) => {
  const plain = exchange((env, tuple) => new TcpConnection(env, tuple, settings()));
  const subflow = exchange((env, tuple) => new Subflow(env, tuple, settings(), undefined));
  t.deepEqual(plain.got, { client: 40_000, server: 40_000 });
  t.deepEqual(subflow.got, plain.got);
  // Both FINs went, and no MPTCP option on any segment.
  t.is(plain.wire.filter((w) => (w.seg.flags & 1) !== 0).length, 2);
  t.false(plain.wire.some((w) => w.seg.options.some((o) => o.kind === 'mptcp')));
  t.true(plain.wire.length > 20);
  t.deepEqual(asText(subflow.wire), asText(plain.wire));
});
