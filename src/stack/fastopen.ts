// TCP Fast Open (RFC 7413) as Linux 6.18 runs it: the net.ipv4.tcp_fastopen bits, the server's
// cookie (SipHash-2-4 of the SYN's source and destination addresses under tcp_fastopen_key,
// __tcp_fastopen_cookie_gen_cipher), the Fast Open option as tcp_parse_fastopen_option accepts
// it, and the client's per-destination cache of cookies and MSS (tcp_metrics' tcpm_fastopen).
import type { TcpOption } from '../wire/packet.js';
import type { Prng } from './prng.js';
import type { Sysctls } from './sysctl.js';

/** Socket options (SOL_TCP). */
export const TCP_FASTOPEN = 23;
export const TCP_FASTOPEN_CONNECT = 30;
export const TCP_FASTOPEN_KEY = 33;
export const TCP_FASTOPEN_NO_COOKIE = 34;

/** net.ipv4.tcp_fastopen bits (include/net/tcp.h). */
export const TFO_CLIENT_ENABLE = 0x1;
export const TFO_SERVER_ENABLE = 0x2;
export const TFO_CLIENT_NO_COOKIE = 0x4;
export const TFO_SERVER_COOKIE_NOT_REQD = 0x200;
export const TFO_SERVER_WO_SOCKOPT1 = 0x400;

/** tcpi_fastopen_client_fail values. */
export const TFO_COOKIE_UNAVAILABLE = 1;
export const TFO_DATA_NOT_ACKED = 2;
export const TFO_SYN_RETRANSMITTED = 3;

const COOKIE_SIZE = 8;
const COOKIE_MIN = 4;
const COOKIE_MAX = 16;
/** Linux keeps room for every option a middlebox might add when it sizes the data of a SYN. */
const MAX_TCP_OPTION_SPACE = 40;

const M64 = (1n << 64n) - 1n;
const rotl = (x: bigint, b: bigint): bigint => ((x << b) | (x >> (64n - b))) & M64;

/** SipHash-2-4 of `msg` under a 16-byte key, as the kernel's siphash() (little-endian words). */
export function siphash24(key: Uint8Array, msg: Uint8Array): bigint {
  const k = new DataView(key.buffer, key.byteOffset, 16);
  const k0 = k.getBigUint64(0, true);
  const k1 = k.getBigUint64(8, true);
  let v0 = k0 ^ 0x736f6d6570736575n;
  let v1 = k1 ^ 0x646f72616e646f6dn;
  let v2 = k0 ^ 0x6c7967656e657261n;
  let v3 = k1 ^ 0x7465646279746573n;
  const round = (): void => {
    v0 = (v0 + v1) & M64; v1 = rotl(v1, 13n); v1 ^= v0; v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & M64; v3 = rotl(v3, 16n); v3 ^= v2;
    v0 = (v0 + v3) & M64; v3 = rotl(v3, 21n); v3 ^= v0;
    v2 = (v2 + v1) & M64; v1 = rotl(v1, 17n); v1 ^= v2; v2 = rotl(v2, 32n);
  };
  const compress = (m: bigint): void => { v3 ^= m; round(); round(); v0 ^= m; };
  const full = msg.length - (msg.length % 8);
  const m = new DataView(msg.buffer, msg.byteOffset, msg.length);
  for (let i = 0; i < full; i += 8) compress(m.getBigUint64(i, true));
  let last = BigInt(msg.length & 0xff) << 56n;
  for (let i = full; i < msg.length; i++) last |= BigInt(msg[i]!) << BigInt(8 * (i - full));
  compress(last);
  v2 ^= 0xffn;
  for (let i = 0; i < 4; i++) round();
  return (v0 ^ v1 ^ v2 ^ v3) & M64;
}

/**
 * tcp_fastopen_key as the sysctl writes it: "%08x-%08x-%08x-%08x" (each word stored little-endian),
 * optionally ",..." a backup key. Returns the primary key and the backup, or undefined if unreadable.
 */
export function parseFastOpenKeys(text: string): Uint8Array[] | undefined {
  const keys: Uint8Array[] = [];
  for (const part of text.trim().split(',')) {
    const words = part.split('-');
    if (words.length !== 4 || !words.every((w) => /^[0-9a-fA-F]{1,8}$/.test(w))) return undefined;
    const key = new Uint8Array(16);
    const v = new DataView(key.buffer);
    words.forEach((w, i) => v.setUint32(i * 4, parseInt(w, 16), true));
    keys.push(key);
  }
  return keys.length > 0 && keys.length <= 2 ? keys : undefined;
}

/**
 * The host's keys. Until a key is written the sysctl reads all zeros and Linux makes a random
 * one on first use (tcp_fastopen_init_key_once): here one from the seeded generator, per host.
 */
export class FastOpenKeys {
  private random: Uint8Array | undefined;

  constructor(private readonly sysctls: Sysctls, private readonly prng: Prng) {}

  keys(socketKey?: Uint8Array[]): Uint8Array[] {
    if (socketKey) return socketKey;
    const text = this.sysctls.get('net.ipv4.tcp_fastopen_key') ?? '';
    const parsed = parseFastOpenKeys(text);
    if (parsed && parsed.some((k) => k.some((b) => b !== 0))) return parsed;
    if (!this.random) {
      this.random = new Uint8Array(16);
      const v = new DataView(this.random.buffer);
      v.setBigUint64(0, this.prng.next64(), true);
      v.setBigUint64(8, this.prng.next64(), true);
    }
    return [this.random];
  }
}

/** The 8-byte cookie for a SYN from `src` to `dst` (both IPv4 or both IPv6, as on the wire). */
export function fastOpenCookie(key: Uint8Array, src: string, dst: string): Uint8Array {
  const msg = new Uint8Array([...addressBytes(src), ...addressBytes(dst)]);
  const out = new Uint8Array(COOKIE_SIZE);
  new DataView(out.buffer).setBigUint64(0, siphash24(key, msg), true);
  return out;
}

function addressBytes(a: string): number[] {
  if (!a.includes(':')) return a.split('.').map(Number);
  const [head = '', tail = ''] = a.split('::');
  const groups = (s: string): number[] => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const h = groups(head);
  const t = a.includes('::') ? groups(tail) : [];
  const all = [...h, ...Array<number>(8 - h.length - t.length).fill(0), ...t];
  return all.flatMap((g) => [g >> 8, g & 0xff]);
}

/** A Fast Open option as received: an empty cookie is a request. */
export interface FastOpenOption {
  cookie: Uint8Array;
  experimental: boolean;
}

/**
 * The option of a SYN or SYN/ACK the way tcp_parse_fastopen_option reads it: an odd length is
 * ignored, a cookie outside 4..16 bytes (other than a bare request) counts as no cookie.
 */
export function readFastOpen(opts: readonly TcpOption[]): FastOpenOption | undefined {
  let found: FastOpenOption | undefined;
  for (const o of opts) {
    if (o.kind !== 'fastopen') continue;
    const n = o.cookie.length;
    if (n % 2 === 1) continue;
    found = n === 0 || (n >= COOKIE_MIN && n <= COOKIE_MAX) ? { cookie: o.cookie.slice(), experimental: o.experimental } : undefined;
  }
  return found;
}

/** The option as Linux writes it, with two NOPs when its length is 2 mod 4 (tcp_options_write). */
export function fastOpenOption(o: FastOpenOption): TcpOption[] {
  const len = (o.experimental ? 4 : 2) + o.cookie.length;
  const opt: TcpOption = { kind: 'fastopen', experimental: o.experimental, cookie: o.cookie };
  return (len & 3) === 2 ? [opt, { kind: 'nop' }, { kind: 'nop' }] : [opt];
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

// ---- server -----------------------------------------------------------------------------------

/** What a listener does with a SYN's Fast Open option (tcp_try_fastopen). */
export interface ServerVerdict {
  /** The SYN's data is accepted: the child exists (and is acceptable) before the third ACK. */
  child: boolean;
  /** Option for the SYN/ACK (a cookie for a request or a wrong cookie), if any. */
  synAck: FastOpenOption | undefined;
}

export interface ServerQuery {
  sysctl: number;
  /** The listener's TCP_FASTOPEN queue length (0: not enabled on this listener). */
  maxQlen: number;
  /** Fast Open children still in SYN_RECV. */
  qlen: number;
  noCookie: boolean;
  /** Primary then backup key (a function: a random key is made only when one is needed). */
  keys: () => Uint8Array[];
  src: string;
  dst: string;
  synData: boolean;
  option: FastOpenOption | undefined;
}

export function serverFastOpen(q: ServerQuery): ServerVerdict {
  const none = { child: false, synAck: undefined };
  if (!(q.sysctl & TFO_SERVER_ENABLE) || !(q.synData || q.option) || q.maxQlen === 0 || q.qlen >= q.maxQlen) return none;
  if (q.noCookie || (q.sysctl & TFO_SERVER_COOKIE_NOT_REQD)) return { child: true, synAck: undefined };
  if (!q.option) return none;
  const cookies = q.keys().map((k) => fastOpenCookie(k, q.src, q.dst));
  const valid = { cookie: cookies[0]!, experimental: q.option.experimental };
  if (q.option.cookie.length === 0) return { child: false, synAck: valid };
  const match = cookies.findIndex((c) => sameBytes(c, q.option!.cookie));
  // A cookie of the backup key is accepted and the primary one handed out instead.
  if (match >= 0) return { child: true, synAck: match > 0 ? valid : undefined };
  return { child: false, synAck: valid };
}

// ---- client -----------------------------------------------------------------------------------

interface CacheEntry {
  mss: number;
  cookie: Uint8Array | undefined;
  experimental: boolean;
  /** 1: the server ignored a request, ask in the experimental form next time. */
  tryExp: number;
  synLoss: number;
}

/** Per (source, destination) address pair, as tcp_metrics keys it. */
export class FastOpenCache {
  private entries = new Map<string, CacheEntry>();

  private key(local: string, remote: string): string {
    return `${local}|${remote}`;
  }

  get(local: string, remote: string): CacheEntry | undefined {
    return this.entries.get(this.key(local, remote));
  }

  /** tcp_fastopen_cache_set. */
  set(local: string, remote: string, mss: number, cookie: FastOpenOption | undefined, synLost: boolean, tryExp: number): void {
    const k = this.key(local, remote);
    const e = this.entries.get(k) ?? { mss: 0, cookie: undefined, experimental: false, tryExp: 0, synLoss: 0 };
    if (mss) e.mss = mss;
    if (cookie && cookie.cookie.length > 0) { e.cookie = cookie.cookie; e.experimental = cookie.experimental; }
    else if (tryExp > e.tryExp && !e.cookie && !e.experimental) e.tryExp = tryExp;
    e.synLoss = synLost ? e.synLoss + 1 : 0;
    this.entries.set(k, e);
  }
}

/** What an active open with Fast Open puts in its SYN (tcp_fastopen_cookie_check, tcp_send_syn_data). */
export interface ActiveFastOpen {
  /** The FO option of the first SYN; undefined when the SYN carries none (no-cookie mode). */
  option: FastOpenOption | undefined;
  /** The SYN may carry data (a cookie is known, or no cookie is needed). */
  withData: boolean;
  /** MSS learnt from an earlier SYN/ACK of this destination (0: none). */
  cachedMss: number;
  cache: FastOpenCache;
}

/**
 * The client's plan for a connection from `local` to `remote`: data in the SYN when a cookie is
 * cached (or cookies are off), else a request. `defer` = TCP_FASTOPEN_CONNECT may hold the SYN
 * until the first write.
 */
export function clientFastOpen(cache: FastOpenCache, sysctl: number, noCookieSocket: boolean, local: string, remote: string): ActiveFastOpen {
  const e = cache.get(local, remote);
  const base = { cachedMss: e?.mss ?? 0, cache };
  if ((sysctl & TFO_CLIENT_NO_COOKIE) || noCookieSocket) return { ...base, option: undefined, withData: true };
  if (e?.cookie) return { ...base, option: { cookie: e.cookie, experimental: e.experimental }, withData: true };
  return { ...base, option: { cookie: new Uint8Array(0), experimental: e?.tryExp === 1 }, withData: false };
}

/** Bytes of data a SYN may carry: the MSS (cached, else ours; user MSS and path bound it) less 40. */
export function synDataRoom(pathMss: number, cachedMss: number, advMss: number, userMss: number): number {
  let clamp = cachedMss || advMss;
  if (userMss > 0 && userMss < clamp) clamp = userMss;
  return Math.max(0, Math.max(48, Math.min(pathMss, clamp)) - MAX_TCP_OPTION_SPACE);
}
