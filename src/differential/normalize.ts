// One run's trace → the events two stacks can be compared on, with everything that is random per
// run taken out: ISNs (seq/ack/SACK relative to each direction's SYN), MPTCP keys (named by order
// of appearance, tokens by the key they belong to), IDSNs (DSN, DATA_ACK, MP_FAIL relative),
// nonces and HMACs (presence and length only), addresses and ephemeral ports (named by order of
// appearance), file descriptors returned by calls (named by order), TS val/ecr carrying the
// stack's clock, IP ids, flow labels and checksums (not kept at all).
//
// Every kept value is a named field, so `--diff-ignore NAME` can drop one and a disagreement can
// say which field differs. Fields both stacks may legitimately choose differently are still
// computed (so they can be shown) and left out of the comparison by compare.ts's defaults.

import { callOutputFields, type Namer } from './call-fields.js';
import { RelativeTracker, type RelativeBases } from '../cli/decode/relative.js';
import type { TraceEntry } from '../engine/types.js';
import type { Usecs } from '../targets/target.js';
import type { SockAddr } from '../targets/target.js';
import { toHex } from '../wire/bytes.js';
import { decodeIp } from '../wire/codec.js';
import { keyToken } from '../wire/crypto.js';
import type { IpPacket, MptcpOption, TcpOption } from '../wire/packet.js';
import { TcpFlag } from '../wire/packet.js';
import { flagsToString, renderPacket } from '../wire/render.js';

export type EventKind = 'inbound' | 'outbound' | 'syscall' | 'shell' | 'event';

export interface NormField {
  /** What `--diff-ignore` names: `win`, `seq`, `ts-val`, `dss`, `ret`... */
  name: string;
  value: string;
}

export interface NormEvent {
  kind: EventKind;
  /** Script line; undefined for a packet no line matched (after the last event), 0 for the end-of-run RSTs. */
  line?: number;
  time: Usecs;
  /** Outbound: time since the last event the script drove (the stack's reaction); syscall: its duration. */
  delay?: Usecs;
  fields: NormField[];
  /** The event as `.pkt` text with relative numbers (packets) or as the script line with its result. */
  text: string;
}

/** Names by order of first appearance: the first address seen is `addr1` in both runs. */
class Names<T> {
  private readonly map = new Map<T, string>();
  constructor(private readonly prefix: string) {}
  of(value: T): string {
    let name = this.map.get(value);
    if (name === undefined) {
      name = `${this.prefix}${this.map.size + 1}`;
      this.map.set(value, name);
    }
    return name;
  }
  known(value: T): string | undefined {
    return this.map.get(value);
  }
}

/** Linux's default ephemeral range: ports a stack or the engine picks at random. */
const EPHEMERAL_FIRST = 32768;

/** Calls whose return value is a new file descriptor. */
const FD_CALLS = new Set(['socket', 'accept', 'accept4', 'epoll_create', 'epoll_create1', 'open', 'dup', 'dup2', 'dup3']);

const TWO_64 = 1n << 64n;

function rel32(value: number, base: number | undefined): string {
  return base === undefined ? `abs ${value >>> 0}` : String((value - base) >>> 0);
}

function rel64(value: bigint, base: bigint | undefined, wide: boolean): string {
  if (base === undefined) return `abs ${value}`;
  const d = (((value - base) % TWO_64) + TWO_64) % TWO_64;
  return String(wide ? d : d & 0xffffffffn);
}

function presence(bytes: Uint8Array | undefined): string {
  return bytes === undefined ? 'none' : `${bytes.length} bytes`;
}

class TraceNormalizer {
  private readonly tracker = new RelativeTracker();
  private readonly addresses = new Names<string>('addr');
  private readonly ports = new Names<number>('port');
  private readonly keys = new Names<bigint>('key');
  private readonly fds = new Names<number>('fd');
  /** Tokens of every key seen (v0 and v1), to name the key an MP_JOIN token belongs to. */
  private readonly tokens = new Map<number, bigint>();
  /** First TS val each direction sent: later ones are shown relative to it. */
  private readonly firstTsVal = new Map<string, number>();

  event(e: TraceEntry, lastDriven: Usecs | undefined): NormEvent | undefined {
    switch (e.kind) {
      case 'inbound':
      case 'outbound': {
        if (e.kind === 'outbound' && !e.testTraffic) return undefined;
        const pkt = decodeIp(e.bytes);
        const bases = this.tracker.observe(pkt);
        const delay = e.kind === 'outbound' && lastDriven !== undefined ? e.time - lastDriven : undefined;
        return {
          kind: e.kind,
          ...(e.line !== undefined ? { line: e.line } : {}),
          time: e.time,
          ...(delay !== undefined ? { delay } : {}),
          fields: this.packetFields(pkt, bases, e.kind === 'inbound'),
          text: renderPacket(pkt, {
            tuple: 'none',
            isn: { sender: bases.seqIsn ?? 0, receiver: bases.ackIsn ?? 0 },
            ...(bases.dsnIdsn !== undefined && bases.dataAckIdsn !== undefined ? { idsn: { sender: bases.dsnIdsn, receiver: bases.dataAckIdsn } } : {}),
          }),
        };
      }
      case 'syscall': {
        const name = /^\s*(\w+)/.exec(e.call)?.[1] ?? '';
        const m = /^(-?\d+)(?: (\w+))?$/.exec(e.result);
        const ret = m ? Number(m[1]) : NaN;
        const fields: NormField[] = [{ name: 'call', value: e.call }];
        if (!m) fields.push({ name: 'ret', value: e.result });
        else if (ret >= 0 && FD_CALLS.has(name)) fields.push({ name: 'ret', value: this.fds.of(ret) });
        else fields.push({ name: 'ret', value: String(ret) });
        if (m?.[2]) fields.push({ name: 'errno', value: m[2] });
        if (e.out) fields.push(...callOutputFields(e.out, this.namer));
        const shown = ret >= 0 && FD_CALLS.has(name) ? `${this.fds.of(ret)}` : e.result;
        return { kind: 'syscall', line: e.line, time: e.time, delay: (e.endTime ?? e.time) - e.time, fields, text: `${e.call}   => ${shown}` };
      }
      case 'event': {
        // Tokens and ephemeral ports differ between runs: named as the packets name them.
        const value = (k: string, v: number | string): string =>
          k === 'token' ? this.tokenName(Number(v)) : k === 'saddr' || k === 'daddr' ? this.addresses.of(String(v)) : k === 'sport' || k === 'dport' ? this.port(Number(v)) : String(v);
        const fields: NormField[] = [{ name: 'event', value: e.type }, ...Object.entries(e.attrs).map(([k, v]) => ({ name: k, value: value(k, v) }))];
        return { kind: 'event', ...(e.line !== undefined ? { line: e.line } : {}), time: e.time, fields, text: fields.map((f) => `${f.name}=${f.value}`).join(' ') };
      }
      case 'shell':
        return { kind: 'shell', ...(e.line !== undefined ? { line: e.line } : {}), time: e.time, fields: [{ name: 'status', value: String(e.code) }], text: `\`${e.command}\` -> status ${e.code}` };
      default:
        return undefined;
    }
  }

  /** Addresses and fds a call returns share the names packets and earlier calls gave them. */
  private readonly namer: Namer = {
    sockaddr: (a: SockAddr) => `${this.addresses.of(a.address)}:${this.port(a.port)}`,
    fd: (n: number) => this.fds.of(n),
  };

  private port(p: number): string {
    return p >= EPHEMERAL_FIRST ? this.ports.of(p) : String(p);
  }

  private keyName(k: bigint): string {
    const name = this.keys.of(k);
    for (const v of [0, 1] as const) this.tokens.set(keyToken(k, v), k);
    return name;
  }

  private tokenName(token: number | undefined): string {
    if (token === undefined) return 'none';
    const k = this.tokens.get(token);
    return k === undefined ? 'token of no key seen' : `token(${this.keys.of(k)})`;
  }

  private packetFields(pkt: IpPacket, bases: RelativeBases, inbound: boolean): NormField[] {
    const out: NormField[] = [];
    const add = (name: string, value: string): void => { out.push({ name, value }); };
    if (pkt.raw) return [{ name: 'packet', value: `undecodable ${pkt.raw.length} bytes` }];
    const ip = pkt.ip;
    add('ip', `v${ip.version}`);
    add('tos', String(ip.version === 4 ? ip.tos : ip.trafficClass));
    add('ttl', String(ip.version === 4 ? ip.ttl : ip.hopLimit));
    if (ip.version === 4) add('df', (ip.fragment & 0x4000) !== 0 ? 'DF' : 'no DF');
    const tcp = pkt.tcp;
    if (!tcp) {
      // ICMP/UDP: protocol, ICMP type and code, length (an ICMP error quotes a packet whose
      // addresses, ports and checksums are per run).
      const o = pkt.other;
      const head = o && (o.protocol === 1 || o.protocol === 58) && o.bytes.length >= 2 ? ` type ${o.bytes[0]} code ${o.bytes[1]}` : '';
      add('transport', o ? `proto ${o.protocol}${head} ${o.bytes.length} bytes` : 'none');
      return out;
    }
    add('tuple', `${this.addresses.of(ip.src)}:${this.port(tcp.srcPort)} > ${this.addresses.of(ip.dst)}:${this.port(tcp.dstPort)}`);
    add('flags', flagsToString(tcp.flags));
    add('seq', rel32(tcp.seq, bases.seqIsn));
    if (tcp.flags & TcpFlag.ACK) add('ack', rel32(tcp.ack, bases.ackIsn));
    add('len', String(tcp.payload.length));
    // A SYN's window follows from the sysctls alone; a later one from memory accounting too, so
    // its exact value is left out by default, but whether it is closed (0) never is.
    if (tcp.flags & TcpFlag.SYN) add('syn-win', String(tcp.window));
    else {
      add('win', String(tcp.window));
      add('win-zero', tcp.window === 0 ? 'closed (0)' : 'open');
    }
    if (tcp.flags & TcpFlag.URG || tcp.urgent) add('urg', String(tcp.urgent));
    add('options', tcp.options.map((o) => (o.kind === 'mptcp' ? o.subtype : o.kind)).join(',') || 'none');
    const direction = `${ip.src}|${tcp.srcPort}>${ip.dst}|${tcp.dstPort}`;
    const reverse = `${ip.dst}|${tcp.dstPort}>${ip.src}|${tcp.srcPort}`;
    const seen = new Map<string, number>();
    for (const o of tcp.options) {
      for (const [name, value] of this.optionFields(o, bases, direction, reverse, inbound)) {
        const n = (seen.get(name) ?? 0) + 1;
        seen.set(name, n);
        add(n === 1 ? name : `${name}#${n}`, value);
      }
    }
    if (tcp.payload.length > 0) add('payload', tcp.payload.every((b) => b === 0) ? `${tcp.payload.length} zero bytes` : toHex(tcp.payload));
    return out;
  }

  private optionFields(o: TcpOption, bases: RelativeBases, direction: string, reverse: string, inbound: boolean): Array<[string, string]> {
    switch (o.kind) {
      case 'eol':
      case 'nop':
      case 'sack_permitted':
        return [];
      case 'mss': return [['mss', String(o.mss)]];
      case 'wscale': return [['wscale', String(o.shift)]];
      case 'sack': return [['sack', o.blocks.map(([l, r]) => `${rel32(l, bases.ackIsn)}:${rel32(r, bases.ackIsn)}`).join(' ')]];
      case 'timestamp': {
        // A TS val is its sender's clock plus a random offset: both are shown relative to the
        // first val of their direction (the ecr to the reverse direction's), 0 staying 0.
        const first = this.firstTsVal.get(direction) ?? o.val;
        this.firstTsVal.set(direction, first);
        const peerFirst = this.firstTsVal.get(reverse);
        const ecr = o.ecr === 0 ? '0' : peerFirst === undefined ? 'unseen val' : `+${(o.ecr - peerFirst) >>> 0}`;
        // An inbound ecr is the stack's val echoed by the script: it counts as the stack's ts-val.
        return [['ts-val', `+${(o.val - first) >>> 0}`], [inbound ? 'ts-val' : 'ts-ecr', ecr]];
      }
      case 'fastopen': return [['fastopen', `${o.experimental ? 'experimental ' : ''}cookie ${o.cookie.length} bytes`]];
      case 'md5': return [['md5', `${o.digest.length} bytes`]];
      case 'mptcp': return [this.mptcpField(o, bases)];
      case 'unknown': return [['unknown-option', `kind ${o.code} ${toHex(o.data)}`]];
      case 'malformed': return [['malformed', o.reason]];
    }
  }

  private mptcpField(o: MptcpOption, b: RelativeBases): [string, string] {
    switch (o.subtype) {
      case 'mp_capable': {
        const keys = [o.senderKey, o.receiverKey].filter((k): k is bigint => k !== undefined).map((k) => this.keyName(k));
        const parts = [`v${o.version}`, `flags 0x${o.flags.toString(16)}`, keys.length ? `keys ${keys.join(',')}` : 'no key'];
        if (o.dataLen !== undefined) parts.push(`datalen ${o.dataLen}`);
        if (o.checksum !== undefined) parts.push('checksum');
        return ['mp-capable', parts.join(' ')];
      }
      case 'mp_join': {
        const parts = [o.form, `backup ${o.backup ? 1 : 0}`];
        if (o.addressId !== undefined) parts.push(`id ${o.addressId}`);
        if (o.form === 'syn') parts.push(this.tokenName(o.token));
        if (o.nonce !== undefined) parts.push('nonce');
        if (o.hmac !== undefined) parts.push(`hmac ${presence(o.hmac)}`);
        return ['mp-join', parts.join(' ')];
      }
      case 'dss': {
        const parts: string[] = [];
        if (o.dataAck !== undefined) parts.push(`dack${o.dataAck64 ? 8 : 4} ${rel64(o.dataAck, b.dataAckIdsn, o.dataAck64)}`);
        if (o.dsn !== undefined) parts.push(`dsn${o.dsn64 ? 8 : 4} ${rel64(o.dsn, b.dsnIdsn, o.dsn64)} ssn ${o.ssn ?? 0} dll ${o.dll ?? 0}`);
        parts.push(o.checksum !== undefined ? 'checksum' : 'nocs');
        if (o.dataFin) parts.push('fin');
        return ['dss', parts.join(' ')];
      }
      case 'add_addr': {
        const parts = [`v${o.version}`, `id ${o.addressId}`, this.addresses.of(o.address)];
        if (o.port !== undefined) parts.push(`port ${this.port(o.port)}`);
        parts.push(o.echo ? 'echo' : `hmac ${presence(o.hmac)}`);
        return ['add-addr', parts.join(' ')];
      }
      case 'remove_addr': return ['remove-addr', `ids ${o.addressIds.join(',')}`];
      case 'mp_prio': return ['mp-prio', `backup ${o.backup ? 1 : 0}${o.addressId !== undefined ? ` id ${o.addressId}` : ''}`];
      case 'mp_fail': return ['mp-fail', `dsn ${rel64(o.dsn, b.dataAckIdsn, true)}`];
      case 'mp_fastclose': return ['mp-fastclose', this.keyName(o.receiverKey)];
      case 'mp_tcprst': return ['mp-tcprst', `flags 0x${o.flags.toString(16)} reason ${o.reason}`];
      case 'unknown': return ['mptcp-unknown', `subtype ${o.code} ${toHex(o.data)}`];
    }
  }
}

/** The comparable events of a trace, in order (IPv6 noise and Python notes left out). */
export function normalizeTrace(trace: readonly TraceEntry[]): NormEvent[] {
  const n = new TraceNormalizer();
  const out: NormEvent[] = [];
  // The last moment the script drove the stack (an injected packet, a call, a command).
  let lastDriven: Usecs | undefined;
  for (const e of trace) {
    const ev = n.event(e, lastDriven);
    if (!ev) continue;
    out.push(ev);
    // A blocking call is recorded when it returns, with the time it was issued: never go back.
    if (ev.kind !== 'outbound') lastDriven = Math.max(lastDriven ?? 0, e.time);
  }
  return out;
}
