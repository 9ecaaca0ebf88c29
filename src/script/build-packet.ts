// Packet lines (docs/language.md §7): direction, encapsulations, IP info, tuple, TCP/UDP/ICMP body
// and TCP options, from the parse tree to the model; one-line facts checked on the way.

import type { IToken } from 'chevrotain';
import { isIPv6 } from 'node:net';
import type {
  Encap, Endpoint, IcmpBody, IpInfo, PacketAction, TcpBody, TcpOptionSpec, Tuple, UdpBody, SourceRange,
} from './ast.js';
import { TcpFlag } from '../wire/packet.js';
import type { ScriptBuilder } from './build.js';
import { type Ctx, U16, U32, U8, ctxRange, node, nodes, numOf, tok, tokenRange, toks } from './build-util.js';

type V = ScriptBuilder;

function int(v: V, ctx: Ctx, label: string, what: string, max: number, min = 0): number | undefined {
  const n = node(ctx, label);
  if (!n) return undefined;
  return numOf(v.visit(n) as IToken, v.sink, what, min, max);
}

export function packet(v: V, ctx: Ctx): PacketAction {
  const dirTok = tok(ctx, 'direction')!;
  const direction = dirTok.image === '<' ? 'inbound' : 'outbound';
  const encaps = nodes(ctx, 'encap').map((n) => v.visit(n) as Encap);
  const psp = node(ctx, 'encapPsp');
  if (psp) encaps.push(v.visit(psp) as Encap);
  const bodyNode = (node(ctx, 'tcpBody') ?? node(ctx, 'udpBody') ?? node(ctx, 'icmpBody'))!;
  const body = v.visit(bodyNode) as TcpBody | UdpBody | IcmpBody;
  const p: PacketAction = { kind: 'packet', direction, encaps, body, badChecksum: node(ctx, 'badChecksum') !== undefined, range: ctxRange(ctx) };
  const ip = node(ctx, 'ipInfo');
  if (ip) p.ip = v.visit(ip) as IpInfo;
  const tupleNode = node(ctx, 'tuple');
  if (tupleNode) p.tuple = v.visit(tupleNode) as Tuple;
  if (body.kind === 'tcp' && direction === 'inbound') {
    if (body.win === undefined) v.sink.error('inbound-needs-win', body.range, 'window must be specified for inbound packets');
    if (body.options === 'any') v.sink.error('inbound-any-options', body.optionsRange ?? body.range, "'<...>' (any options) is only allowed on outbound packets");
  }
  return p;
}

export function encap(v: V, ctx: Ctx): Encap {
  const family = tok(ctx, 'family')!.image as Encap['kind'];
  const e: Encap = { kind: family, range: ctxRange(ctx) };
  const src = tok(ctx, 'src');
  const dst = tok(ctx, 'dst');
  if (src && dst) {
    e.src = src.image;
    e.dst = dst.image;
  }
  const raw = toks(ctx, 'raw');
  if (raw.length > 0) e.text = raw.map((t) => t.image).join(' ');
  return e;
}

export function encapPsp(v: V, ctx: Ctx): Encap {
  const spi = v.visit(node(ctx, 'intValue')!) as IToken;
  return { kind: 'psp', text: `spi ${spi.image}`, range: ctxRange(ctx) };
}

export function ipInfo(v: V, ctx: Ctx): IpInfo {
  const info: IpInfo = { range: ctxRange(ctx) };
  for (const item of nodes(ctx, 'items')) {
    const [key, value] = v.visit(item) as [string, number | string];
    if (key === 'ecn') info.ecn = value as IpInfo['ecn'];
    else if (key === 'tos') info.tos = value as number;
    else if (key === 'flowlabel') info.flowLabel = value as number;
    else info.ttl = value as number;
  }
  if (info.ecn !== undefined && info.tos !== undefined) {
    v.sink.error('ip-info', info.range, 'write either an ECN codepoint or a tos byte, not both');
  }
  return info;
}

export function ipInfoItem(v: V, ctx: Ctx): [string, number | string] {
  const ecn = tok(ctx, 'ecn');
  if (ecn) return ['ecn', ecn.image];
  const field = tok(ctx, 'field')!.image;
  const value = v.visit(node(ctx, 'intValue')!) as IToken;
  const max = field === 'flowlabel' ? 0xfffff : U8;
  return [field, numOf(value, v.sink, field, 0, max)];
}

export function tuple(v: V, ctx: Ctx): Tuple {
  const t: Tuple = { range: ctxRange(ctx) };
  const src = node(ctx, 'src');
  const dst = node(ctx, 'dst');
  if (src) t.src = v.visit(src) as Endpoint;
  if (dst) t.dst = v.visit(dst) as Endpoint;
  return t;
}

export function endpoint(v: V, ctx: Ctx): Endpoint {
  const range = ctxRange(ctx);
  const name = tok(ctx, 'name');
  if (name) return { kind: 'named', name: name.image, range };
  const address = tok(ctx, 'address');
  const port = tok(ctx, 'port');
  if (!address) return { kind: 'port', port: numOf(port!, v.sink, 'port', 0, U16), range };
  if (port) return { kind: 'address', address: address.image, port: numOf(port, v.sink, 'port', 0, U16), range };
  // `2001:db8::1:80`: the IPv6 literal swallowed the port; its last group is the port.
  const cut = address.image.lastIndexOf(':');
  const host = address.image.slice(0, cut);
  const portText = address.image.slice(cut + 1);
  if (!/^\d+$/.test(portText) || !isIPv6(host)) {
    v.sink.error('endpoint-port', range, `IPv6 endpoint '${address.image}' needs a port: write [address]:port`);
    return { kind: 'address', address: address.image, port: 0, range };
  }
  return { kind: 'address', address: host, port: Math.min(Number(portText), U16), range };
}

const flagBits: Record<string, number> = {
  F: TcpFlag.FIN, S: TcpFlag.SYN, R: TcpFlag.RST, P: TcpFlag.PSH, '.': TcpFlag.ACK,
  U: TcpFlag.URG, E: TcpFlag.ECE, W: TcpFlag.CWR, A: TcpFlag.AE,
};

interface Flags {
  text: string;
  bits: number;
  ace?: number;
}

export function tcpFlags(v: V, ctx: Ctx): Flags {
  if (tok(ctx, 'Minus')) return { text: '-', bits: 0 };
  const letters = tok(ctx, 'letters')?.image ?? '';
  const ace = tok(ctx, 'ace');
  const dot = tok(ctx, 'Dot') !== undefined || ace !== undefined;
  const text = letters + (dot ? '.' : '');
  let bits = 0;
  for (const ch of text) {
    const bit = flagBits[ch];
    if (bit === undefined) {
      v.sink.error('bad-flags', ctxRange(ctx), `unknown TCP flag '${ch}' in '${text}' (flags are F S R P . U E W A, or -)`);
      continue;
    }
    bits |= bit;
  }
  const flags: Flags = { text, bits };
  if (ace) {
    const digits = ace.image.slice(ace.image.indexOf('.') + 1);
    if (!ace.image.startsWith('.') || !/^[0-7]$/.test(digits)) {
      v.sink.error('bad-flags', tokenRange(ace), `AccECN ACE value '${ace.image}' must be one digit 0-7 after '.'`);
    } else flags.ace = Number(digits);
  }
  return flags;
}

interface SeqRange {
  start: number;
  end: number;
  length: number;
  range: SourceRange;
}

export function seqRange(v: V, ctx: Ctx): SeqRange {
  const start = int(v, ctx, 'start', 'sequence number', U32)!;
  const end = int(v, ctx, 'end', 'sequence number', U32)!;
  const length = int(v, ctx, 'length', 'payload length', U32)!;
  const range = ctxRange(ctx);
  const actual = (end - start + 2 ** 32) % 2 ** 32;
  if (actual !== length) {
    v.sink.error('seq-length', range, `sequence range ${start}:${end} has length ${actual} but (${length}) was written`);
  }
  return { start, end, length, range };
}

export function tcpBody(v: V, ctx: Ctx): TcpBody {
  const flags = v.visit(node(ctx, 'tcpFlags')!) as Flags;
  const seq = v.visit(node(ctx, 'seqRange')!) as SeqRange;
  const body: TcpBody = {
    kind: 'tcp',
    flagsText: flags.text,
    flags: flags.bits,
    seqStart: seq.start,
    seqEnd: seq.end,
    payloadLength: seq.length,
    options: 'none',
    range: ctxRange(ctx),
  };
  if (flags.ace !== undefined) body.ace = flags.ace;
  const ack = int(v, ctx, 'ackValue', 'ack', U32);
  if (ack !== undefined) body.ack = ack;
  const win = int(v, ctx, 'winValue', 'win', U16);
  if (win !== undefined) body.win = win;
  const urg = int(v, ctx, 'urgValue', 'urg', U16);
  if (urg !== undefined) body.urg = urg;
  const opts = node(ctx, 'tcpOptions');
  if (opts) {
    body.options = v.visit(opts) as TcpOptionSpec[] | 'any';
    body.optionsRange = ctxRange(opts.children);
  }
  return body;
}

export function tcpOptions(v: V, ctx: Ctx): TcpOptionSpec[] | 'any' {
  if (tok(ctx, 'Ellipsis')) return 'any';
  return nodes(ctx, 'options').map((n) => v.visit(n) as TcpOptionSpec);
}

export function sackBlock(v: V, ctx: Ctx): [number, number] {
  return [int(v, ctx, 'left', 'SACK edge', U32)!, int(v, ctx, 'right', 'SACK edge', U32)!];
}

/** Cookie / digest bytes from hex digits (`0x` prefix allowed). */
export function cookie(v: V, ctx: Ctx): Uint8Array {
  const t = (tok(ctx, 'Word') ?? tok(ctx, 'Int') ?? tok(ctx, 'Hex'))!;
  const hex = t.image.replace(/^0[xX]/, '');
  if (!/^[0-9A-Fa-f]*$/.test(hex) || hex.length % 2 !== 0) {
    v.sink.error('bad-cookie', tokenRange(t), `'${t.image}' is not an even number of hex digits`);
    return new Uint8Array();
  }
  return Uint8Array.from(hex.match(/../g) ?? [], (b) => parseInt(b, 16));
}

export function tcpOption(v: V, ctx: Ctx): TcpOptionSpec {
  const range = ctxRange(ctx);
  const mptcp = node(ctx, 'mptcpOption');
  if (mptcp) return v.visit(mptcp) as TcpOptionSpec;
  const kind = tok(ctx, 'kind')!.image;
  const value = (max: number, what: string) => int(v, ctx, 'intValue', what, max)!;
  const cookieBytes = () => v.sub<Uint8Array>(node(ctx, 'cookie'));
  switch (kind) {
    case 'nop': return { kind: 'nop', range };
    case 'eol': return { kind: 'eol', range };
    case 'sackOK': return { kind: 'sack_permitted', range };
    case 'mss': return { kind: 'mss', mss: value(U16, 'mss'), range };
    case 'wscale': return { kind: 'wscale', shift: value(U8, 'wscale'), range };
    case 'sack': return { kind: 'sack', blocks: nodes(ctx, 'blocks').map((n) => v.visit(n) as [number, number]), range };
    case 'TS': return { kind: 'timestamp', val: int(v, ctx, 'tsVal', 'TS val', U32)!, ecr: int(v, ctx, 'tsEcr', 'TS ecr', U32)!, range };
    case 'md5': {
      const digest = cookieBytes();
      return digest ? { kind: 'md5', digest, range } : { kind: 'md5', range };
    }
    case 'raw': {
      const code = int(v, ctx, 'rawKind', 'option kind', U8)!;
      const data = Uint8Array.from(nodes(ctx, 'rawData').flatMap((n) => [...v.sub<Uint8Array>(n)!]));
      // The length byte counts kind and length too: 2 + data must fit in it, and in 40 bytes.
      if (data.length > 38) v.sink.error('bad-raw-option', range, `a raw option carries at most 38 data bytes, not ${data.length}`);
      if (code === 0 || code === 1) v.sink.error('bad-raw-option', range, `raw ${code}: kinds 0 (eol) and 1 (nop) have no length byte; write eol or nop`);
      return { kind: 'raw', code, data, range };
    }
    case 'FO':
    case 'FOEXP': {
      const c = cookieBytes();
      const o: TcpOptionSpec = { kind: 'fastopen', experimental: kind === 'FOEXP', range };
      if (c) o.cookie = c;
      return o;
    }
    default: {
      const names = toks(ctx, 'accField');
      const values = nodes(ctx, 'accValue');
      const fields = names.map((n, i) => ({
        name: n.image as 'e0b' | 'ceb' | 'e1b',
        value: numOf(v.visit(values[i]!) as IToken, v.sink, n.image, 0, 0xffffff),
      }));
      return { kind: 'accecn', fields, range };
    }
  }
}

export function udpBody(v: V, ctx: Ctx): UdpBody {
  const body: UdpBody = { kind: 'udp', payloadLength: int(v, ctx, 'length', 'UDP length', U16)!, range: ctxRange(ctx) };
  const t = node(ctx, 'tuple');
  if (t) {
    const tu = v.visit(t) as Tuple;
    const port = (e: Endpoint | undefined) => (e && e.kind !== 'named' ? e.port : undefined);
    const src = port(tu.src);
    const dst = port(tu.dst);
    if (src !== undefined) body.srcPort = src;
    if (dst !== undefined) body.dstPort = dst;
  }
  return body;
}

export function icmpBody(v: V, ctx: Ctx): IcmpBody {
  const body: IcmpBody = { kind: 'icmp', type: tok(ctx, 'type')!.image, range: ctxRange(ctx) };
  const code = tok(ctx, 'code');
  if (code) body.code = code.image;
  const mtu = int(v, ctx, 'mtu', 'mtu', U16);
  if (mtu !== undefined) body.mtu = mtu;
  const id = int(v, ctx, 'id', 'id', U16);
  if (id !== undefined) body.id = id;
  const echoed = node(ctx, 'icmpEchoed');
  if (echoed) body.echoed = v.visit(echoed) as NonNullable<IcmpBody['echoed']>;
  return body;
}

export function icmpEchoed(v: V, ctx: Ctx): NonNullable<IcmpBody['echoed']> {
  const seq = node(ctx, 'seqRange');
  if (seq) {
    const r = v.visit(seq) as SeqRange;
    return { kind: 'tcp', seqStart: r.start, seqEnd: r.end, payloadLength: r.length };
  }
  const kind = tok(ctx, 'kind')!.image;
  if (kind === 'seq') {
    const start = int(v, ctx, 'start', 'sequence number', U32)!;
    return { kind: 'tcp', seqStart: start, seqEnd: start, payloadLength: 0 };
  }
  return { kind: kind === 'udp' ? 'udp' : 'raw', payloadLength: int(v, ctx, 'length', 'length', U16)! };
}

