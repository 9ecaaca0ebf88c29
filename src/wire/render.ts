// A packet as one line of .pkt text, in packetdrill's output form with the MPTCP dialect of
// docs/language.md §7.3 and §8, e.g.
//   192.168.0.1:8080 > 192.0.2.1:40000 P. 1:11(10) ack 1 win 502 <nop,nop,TS val 12 ecr 90,dss dack4=1 dsn8=11 ssn=0 dll=1 nocs fin,nop,nop>
// Used for decode output and for the engine's expected-vs-actual failure reports.

import type { IpPacket, MptcpOption, TcpOption } from './packet.js';
import { TcpFlag } from './packet.js';
import { toHex } from './bytes.js';
import { tcpOptionLength } from './tcp-options.js';
import { mptcpOptionLength } from './mptcp-options.js';

export interface RenderOptions {
  /**
   * The 4-tuple: 'addresses' (default) prints `ip:port > ip:port`; 'none' prints a tuple-less
   * line (what the engine shows when the script line had none); an object prints the given
   * names as `addr[src] > addr[dst]`, a side without a name as nothing (`  > addr[s1]`).
   */
  tuple?: 'addresses' | 'none' | { src?: string; dst?: string };
  /** ISNs for relative numbers: seq minus `sender`; ack and SACK blocks minus `receiver`. */
  isn?: { sender: number; receiver: number };
  /**
   * IDSNs for relative MPTCP numbers: DSS dsn minus the packet sender's IDSN; DSS dack and
   * MP_FAIL dsn (which name the peer's data) minus the packet receiver's IDSN.
   */
  idsn?: { sender: bigint; receiver: bigint };
  /** Name of a key (MP_CAPABLE, MP_FASTCLOSE): printed as `name=value`, else the bare value. */
  keyName?: (key: bigint) => string | undefined;
  /** Name of an announced address (ADD_ADDR): printed as `addr[name]`, else the address text. */
  addressName?: (address: string, port?: number) => string | undefined;
  /** Append the packet's decode errors after the line (default true). */
  errors?: boolean;
}

const TWO_64 = 1n << 64n;

/** packetdrill flag letters, in packetdrill's order (FSRP.UEW, AE as A); "-" for none. */
export function flagsToString(flags: number): string {
  let s = '';
  if (flags & TcpFlag.FIN) s += 'F';
  if (flags & TcpFlag.SYN) s += 'S';
  if (flags & TcpFlag.RST) s += 'R';
  if (flags & TcpFlag.PSH) s += 'P';
  if (flags & TcpFlag.ACK) s += '.';
  if (flags & TcpFlag.URG) s += 'U';
  if (flags & TcpFlag.ECE) s += 'E';
  if (flags & TcpFlag.CWR) s += 'W';
  if (flags & TcpFlag.AE) s += 'A';
  return s === '' ? '-' : s;
}

function rel32(value: number, base: number | undefined): number {
  return base === undefined ? value >>> 0 : (value - base) >>> 0;
}

function rel64(value: bigint, base: bigint | undefined, wide: boolean): bigint {
  if (base === undefined) return value;
  const d = (((value - base) % TWO_64) + TWO_64) % TWO_64;
  return wide ? d : d & 0xffffffffn;
}

function key(value: bigint, ctx: RenderOptions): string {
  const name = ctx.keyName?.(value);
  return name === undefined ? value.toString() : `${name}=${value}`;
}

const FLAG_LETTERS = ['flag_h', 'flag_g', 'flag_f', 'flag_e', 'flag_d', 'flag_c', 'flag_b', 'flag_a'];

function mpcFlags(flags: number): string {
  const names: string[] = [];
  for (let bit = 7; bit >= 0; bit--) if (flags & (1 << bit)) names.push(FLAG_LETTERS[bit]!);
  return `flags[${names.length ? names.join(',') : 'no_flags'}]`;
}

function hexValue(bytes: Uint8Array | undefined): string {
  return bytes ? `0x${toHex(bytes)}` : 'auto';
}

function reservedSuffix(r: number | undefined): string {
  return r ? ` reserved=0x${r.toString(16)}` : '';
}

/** One MPTCP option in the dialect spelling (docs/language.md §8.3). */
export function renderMptcpOption(o: MptcpOption, ctx: RenderOptions = {}): string {
  switch (o.subtype) {
    case 'mp_capable': {
      let s = `mpcapable v${o.version} ${mpcFlags(o.flags)}`;
      if (o.senderKey === undefined) s += ' nokey';
      else if (o.receiverKey === undefined) s += ` key[${key(o.senderKey, ctx)}]`;
      else s += ` key[${key(o.senderKey, ctx)}, ${key(o.receiverKey, ctx)}]`;
      if (o.dataLen !== undefined) s += ` mpcdatalen ${o.dataLen}`;
      if (o.checksum !== undefined) s += ` cksum=${o.checksum}`;
      return s;
    }
    case 'mp_join': {
      if (o.form === 'ack') return `mp_join_ack sender_hmac=${hexValue(o.hmac)}${reservedSuffix(o.reserved)}`;
      const head = `${o.form === 'syn' ? 'mp_join_syn' : 'mp_join_syn_ack'} backup=${o.backup ? 1 : 0} address_id=${o.addressId ?? 0}`;
      const mid = o.form === 'syn' ? `token=${o.token ?? 0}` : `sender_hmac=${hexValue(o.hmac)}`;
      return `${head} ${mid} rand=${o.nonce ?? 0}${reservedSuffix(o.reserved)}`;
    }
    case 'dss': {
      let s = 'dss';
      if (o.dataAck !== undefined) s += ` dack${o.dataAck64 ? 8 : 4}=${rel64(o.dataAck, ctx.idsn?.receiver, o.dataAck64)}`;
      if (o.dsn !== undefined) {
        s += ` dsn${o.dsn64 ? 8 : 4}=${rel64(o.dsn, ctx.idsn?.sender, o.dsn64)} ssn=${o.ssn ?? 0} dll=${o.dll ?? 0}`;
      }
      s += o.checksum !== undefined ? ` cksum=${o.checksum}` : ' nocs';
      if (o.dataFin) s += ' fin';
      return s + reservedSuffix(o.reserved);
    }
    case 'add_addr': {
      const name = ctx.addressName?.(o.address, o.port);
      let s = `add_address address_id=${o.addressId} addr[${name ?? o.address}]`;
      if (o.port !== undefined) s += ` port=${o.port}`;
      if (o.version === 0) return `${s} v0 ipver=${o.nibble ?? 0}`;
      s += o.echo ? ' addr_echo' : ` hmac=${hexValue(o.hmac)}`;
      return s + reservedSuffix(o.nibble);
    }
    case 'remove_addr':
      return `remove_address address_id=[${o.addressIds.join(',')}]${reservedSuffix(o.reserved)}`;
    case 'mp_prio':
      return `mp_prio backup=${o.backup ? 1 : 0}${o.addressId !== undefined ? ` address_id=${o.addressId}` : ''}${reservedSuffix(o.reserved)}`;
    case 'mp_fail':
      return `mp_fail dsn8=${rel64(o.dsn, ctx.idsn?.receiver, true)}${reservedSuffix(o.reserved)}`;
    case 'mp_fastclose':
      return `mp_fastclose ${key(o.receiverKey, ctx)}${reservedSuffix(o.reserved)}`;
    case 'mp_tcprst': {
      const f = o.flags === 0 ? '' : o.flags === 1 ? ' flags[flag_t]' : ` flags 0x${o.flags.toString(16)}`;
      return `mp_reset ${o.reason}${f}`;
    }
    case 'unknown': {
      const data = o.data.length ? ` 0x${toHex(o.data)}` : '';
      return `mptcp subtype ${o.code} len ${mptcpOptionLength(o)}${data}${o.reason ? ` (${o.reason})` : ''}`;
    }
  }
}

/** One TCP option as written inside `<…>`. */
export function renderTcpOption(o: TcpOption, ctx: RenderOptions = {}): string {
  switch (o.kind) {
    case 'eol':
      return o.padding && o.padding.some((x) => x !== 0) ? `eol padding 0x${toHex(o.padding)}` : 'eol';
    case 'nop':
      return 'nop';
    case 'mss':
      return `mss ${o.mss}`;
    case 'wscale':
      return `wscale ${o.shift}`;
    case 'sack_permitted':
      return 'sackOK';
    case 'sack': {
      const base = ctx.isn?.receiver;
      return ['sack', ...o.blocks.map(([l, r]) => `${rel32(l, base)}:${rel32(r, base)}`)].join(' ');
    }
    case 'timestamp':
      return `TS val ${o.val} ecr ${o.ecr}`;
    case 'fastopen': {
      const name = o.experimental ? 'FOEXP' : 'FO';
      return o.cookie.length ? `${name} ${toHex(o.cookie)}` : name;
    }
    case 'md5':
      return `md5 ${toHex(o.digest)}`;
    case 'mptcp':
      return renderMptcpOption(o, ctx);
    case 'unknown':
      return `unknown kind ${o.code} len ${tcpOptionLength(o)}${o.data.length ? ` 0x${toHex(o.data)}` : ''}`;
    case 'malformed':
      return `malformed at ${o.offset}: ${o.reason}`;
  }
}

/** The option list as `<a,b,c>` ("" when there are no options, as packetdrill writes). */
export function renderTcpOptions(opts: TcpOption[], ctx: RenderOptions = {}): string {
  if (opts.length === 0) return '';
  let s = '<';
  for (let i = 0; i < opts.length; i++) s += (i ? ',' : '') + renderTcpOption(opts[i]!, ctx);
  return s + '>';
}

const ECN_NAMES = ['', 'ect1', 'ect0', 'ce'];

function endpoint(addr: string, port: number | undefined): string {
  return port === undefined ? addr : `${addr}:${port}`;
}

function tupleText(pkt: IpPacket, ctx: RenderOptions, ports: boolean): string {
  const t = ctx.tuple ?? 'addresses';
  if (t === 'none') return '';
  if (t !== 'addresses') {
    const side = (name: string | undefined): string => (name === undefined ? '' : `addr[${name}]`);
    return `${side(t.src)} > ${side(t.dst)} `;
  }
  const tcp = ports ? pkt.tcp : undefined;
  return `${endpoint(pkt.ip.src, tcp?.srcPort)} > ${endpoint(pkt.ip.dst, tcp?.dstPort)} `;
}

function otherTransport(protocol: number, bytes: Uint8Array): string {
  if (protocol === 17 && bytes.length >= 8) return `udp (${bytes.length - 8})`;
  if ((protocol === 1 || protocol === 58) && bytes.length >= 2) return `icmp type ${bytes[0]} code ${bytes[1]}`;
  return `ip proto ${protocol} (${bytes.length} bytes)`;
}

/** A whole packet as one .pkt line (without the leading time and direction). */
export function renderPacket(pkt: IpPacket, ctx: RenderOptions = {}): string {
  const errors = ctx.errors !== false && pkt.errors.length ? ` ! ${pkt.errors.join('; ')}` : '';
  if (pkt.raw) return `<undecodable ${pkt.raw.length} bytes>${errors}`;
  const ecnBits = (pkt.ip.version === 4 ? pkt.ip.tos : pkt.ip.trafficClass) & 3;
  const ipInfo = ecnBits ? `[${ECN_NAMES[ecnBits]}] ` : '';
  const tcp = pkt.tcp;
  if (!tcp) {
    const other = pkt.other ? otherTransport(pkt.other.protocol, pkt.other.bytes) : 'no transport';
    return `${ipInfo}${tupleText(pkt, ctx, false)}${other}${errors}`;
  }
  const len = tcp.payload.length;
  const seq = rel32(tcp.seq, ctx.isn?.sender);
  let s = `${ipInfo}${tupleText(pkt, ctx, true)}${flagsToString(tcp.flags)} ${seq}:${(seq + len) >>> 0}(${len})`;
  if (tcp.flags & TcpFlag.ACK) s += ` ack ${rel32(tcp.ack, ctx.isn?.receiver)}`;
  s += ` win ${tcp.window}`;
  if (tcp.flags & TcpFlag.URG || tcp.urgent) s += ` urg ${tcp.urgent}`;
  const opts = renderTcpOptions(tcp.options, ctx);
  if (opts) s += ` ${opts}`;
  return s + errors;
}
