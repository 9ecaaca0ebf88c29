// Outbound TCP options: same kinds, same order, same lengths, same values as written
// (docs/language.md §7.1 item 4). TS val is only recorded (checked with tcp_ts_tick_usecs), TS ecr
// is never compared, md5 digests are not compared; MPTCP options go to mptcp-match.ts. A list
// that differs only in NOP padding says so.

import type { TcpOptionSpec } from '../../script/ast.js';
import type { TcpOption } from '../../wire/packet.js';
import { bytesEqual, toHex } from '../../wire/bytes.js';
import { renderTcpOption } from '../../wire/render.js';
import { encodeTcpOptions } from '../../wire/tcp-options.js';
import type { Line } from './line.js';
import { matchMptcpOption } from './mptcp-match.js';
import { fieldMismatch, numberMismatch, type FieldMismatch } from './types.js';

const MPTCP_SUBTYPE: Record<string, string> = {
  mp_capable: 'mp_capable',
  mp_join_syn: 'mp_join:syn',
  mp_join_syn_ack: 'mp_join:syn_ack',
  mp_join_ack: 'mp_join:ack',
  dss: 'dss',
  add_address: 'add_addr',
  remove_address: 'remove_addr',
  mp_prio: 'mp_prio',
  mp_fail: 'mp_fail',
  mp_fastclose: 'mp_fastclose',
  mp_reset: 'mp_tcprst',
};

/** A name for an option's kind that is equal for a spec and the wire option it describes. */
function specKind(s: TcpOptionSpec): string {
  if (s.kind === 'raw') return `code:${s.code}`;
  if (s.kind === 'fastopen') return s.experimental ? 'fastopen-exp' : 'fastopen';
  if (s.kind === 'accecn') return s.fields[0]?.name === 'e1b' ? 'unknown:174' : 'unknown:172';
  return MPTCP_SUBTYPE[s.kind] ?? s.kind;
}

function liveKind(o: TcpOption): string {
  if (o.kind === 'fastopen') return o.experimental ? 'fastopen-exp' : 'fastopen';
  if (o.kind === 'unknown') return `unknown:${o.code}`;
  if (o.kind === 'mptcp') return o.subtype === 'mp_join' ? `mp_join:${o.form}` : o.subtype;
  return o.kind;
}

const KIND_TEXT: Record<string, string> = { 'mp_join:syn': 'mp_join_syn', 'mp_join:syn_ack': 'mp_join_syn_ack', 'mp_join:ack': 'mp_join_ack', sack_permitted: 'sackOK', timestamp: 'TS' };

function kindsText(kinds: string[]): string {
  return `<${kinds.map((k) => KIND_TEXT[k] ?? k).join(', ')}>`;
}

export function matchTcpOptions(line: Line, live: TcpOption[], payload: Uint8Array, out: FieldMismatch[]): void {
  const want = line.body.options;
  if (want === 'any') return;
  const specs = want === 'none' ? [] : want;
  const wantKinds = specs.map(specKind);
  // A `raw KIND` option is matched by its kind byte: the live option is named that way too.
  const liveKinds = live.map((o, i) => (specs[i]?.kind === 'raw' ? `code:${encodeTcpOptions([o])[0]}` : liveKind(o)));
  if (wantKinds.join() !== liveKinds.join()) {
    // Padding: NOPs anywhere, EOL (some stacks pad with it) too.
    const strip = (ks: string[]) => ks.filter((k) => k !== 'nop' && k !== 'eol').join();
    const note = strip(wantKinds) === strip(liveKinds) ? 'only the NOP padding differs' : undefined;
    const actual = live.length ? `<${live.map((o) => renderTcpOption(o)).join(', ')}>` : '<>';
    out.push(fieldMismatch('tcp_options', kindsText(wantKinds), actual, note));
    return;
  }
  specs.forEach((spec, i) => matchTcpOption(line, spec, live[i]!, payload, out));
}

function matchTcpOption(line: Line, spec: TcpOptionSpec, live: TcpOption, payload: Uint8Array, out: FieldMismatch[]): void {
  switch (spec.kind) {
    case 'nop':
    case 'eol':
    case 'sack_permitted':
    case 'md5':
      return;
    case 'mss':
      if (live.kind === 'mss' && live.mss !== spec.mss) out.push(numberMismatch('tcp_option_mss', spec.mss, live.mss));
      return;
    case 'wscale':
      if (live.kind === 'wscale' && live.shift !== spec.shift) out.push(numberMismatch('tcp_option_wscale', spec.shift, live.shift));
      return;
    case 'sack':
      if (live.kind === 'sack') {
        // The stack acknowledges script data: counted from the script's ISN, like acks.
        const off = line.sub.scriptOffset();
        const w = spec.blocks.map(([l, r]) => `${l >>> 0}:${r >>> 0}`).join(' ');
        const g = live.blocks.map(([l, r]) => `${(l - off) >>> 0}:${(r - off) >>> 0}`).join(' ');
        if (w !== g) out.push(fieldMismatch('tcp_option_sack', w, g));
      }
      return;
    case 'timestamp':
      if (live.kind === 'timestamp') matchTimestamp(line, spec.val, live.val, out);
      return;
    case 'fastopen':
      if (live.kind === 'fastopen') {
        const w = spec.cookie ?? new Uint8Array(0);
        if (!bytesEqual(w, live.cookie)) out.push(fieldMismatch('tcp_option_fastopen_cookie', toHex(w) || '(request)', toHex(live.cookie) || '(request)'));
      }
      return;
    case 'accecn':
      if (live.kind === 'unknown') {
        const got = Array.from({ length: Math.floor(live.data.length / 3) }, (_, i) => (live.data[i * 3]! << 16) | (live.data[i * 3 + 1]! << 8) | live.data[i * 3 + 2]!);
        const w = spec.fields.map((f) => f.value).join(' ');
        if (w !== got.join(' ')) out.push(fieldMismatch('tcp_option_accecn', w, got.join(' ')));
      }
      return;
    case 'raw': {
      // Byte for byte: the data after the kind and length bytes, whatever the codec made of it.
      const got = encodeTcpOptions([live]).subarray(2);
      if (!bytesEqual(spec.data, got)) out.push(fieldMismatch('tcp_option_raw', toHex(spec.data) || '(no data)', toHex(got) || '(no data)'));
      return;
    }
    default:
      if (live.kind === 'mptcp') matchMptcpOption(line, spec, live, payload, out);
  }
}

/** Records the TS val pair; with tcp_ts_tick_usecs, checks it advanced like the script's. */
function matchTimestamp(line: Line, scriptVal: number, liveVal: number, out: FieldMismatch[]): void {
  const { sub, env, tx, nowUs } = line;
  const tick = env.ctx.tsTickUsecs;
  const first = sub.ts[0];
  if (tick > 0 && first) {
    const wantDelta = (scriptVal - first.script) | 0;
    const gotDelta = (liveVal - first.live) | 0;
    const slack = Math.ceil((env.ctx.toleranceUsecs ?? 4000) / tick) + 1;
    if (Math.abs(gotDelta - wantDelta) > slack) {
      out.push(numberMismatch('tcp_option_ts_val', scriptVal >>> 0, (first.script + gotDelta) >>> 0, `script-relative, ${tick} us per tick, slack ${slack} ticks`));
    }
  }
  tx.later(() => sub.ts.push({ script: scriptVal >>> 0, live: liveVal >>> 0, timeUs: nowUs }));
}
