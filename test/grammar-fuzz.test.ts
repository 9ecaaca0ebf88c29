// Fuzzing the parser with deterministic mutations of the corpus and of hand-written snippets:
// tokens deleted, duplicated, swapped; random bytes; truncation; long lines; deep nesting.
// Every input must come back as a result (never an exception or an internal error), within a
// second, and every diagnostic must point inside the text.

import test from 'ava';
import { lexPkt } from '../grammar/lexer.js';
import { parseScript } from '../src/script/parse.js';
import { corpus } from './grammar-helpers.js';
import { mulberry32 } from './helpers/mulberry32.js';


const SNIPPETS = [
  '0 socket(..., SOCK_STREAM, IPPROTO_MPTCP) = 3\n+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)\n',
  '0 > S 0:0(0) <mss 1460, sackOK, TS val 10 ecr 0, nop, wscale 7, mpcapable v1 flags[flag_h] nokey>\n',
  '+0 < addr[c1] > addr[s1] S 0:0(0) win 1 <mp_join_syn backup=1 address_id=2 token=sha256_32(sk) rand=4>\n',
  '+0 > . 1:1(0) ack 1 <dss dack4=1 dsn8=trunc_r64_hmac(sk)+3 ssn=1 dll=0 nocs fin, add_address addr[s1=inet_addr("1.2.3.4")] port=80 hmac=auto>\n',
  '0.1...0.3 recvmsg(4, {msg_name(...)=..., msg_iov(1)=[{..., 100}], msg_flags=0}, 0) = 100\n',
  '* > [2001:db8::1]:80 > 2001:db8::2:90 .3 1:1001(1000) <FO 3021b9d889017eeb, ECN e1b 1 ceb 2>\n',
  '+0 < icmp unreachable frag_needed mtu 1200 [1:1461(1460)]\n+0 < udp (10)\n+0 %{ assert 1 }%\n`cleanup`\n',
];

function mutate(text: string, rnd: () => number): string {
  const pick = (n: number) => Math.floor(rnd() * n);
  const toks = lexPkt(text).tokens;
  const cut = (i: number) => [toks[i]!.startOffset, toks[i]!.endOffset! + 1] as const;
  const kind = pick(9);
  if (toks.length === 0 || kind === 0) {
    const at = pick(text.length + 1);
    const bytes = Array.from({ length: 1 + pick(8) }, () => String.fromCharCode(pick(256))).join('');
    return text.slice(0, at) + bytes + text.slice(at);
  }
  const i = pick(toks.length);
  const [s, e] = cut(i);
  switch (kind) {
    case 1: return text.slice(0, s) + text.slice(e);
    case 2: return text.slice(0, e) + ' ' + text.slice(s, e) + text.slice(e);
    case 3: {
      const j = pick(toks.length);
      const [s2, e2] = cut(j);
      if (s2 <= s) return text;
      return text.slice(0, s) + text.slice(s2, e2) + text.slice(e, s2) + text.slice(s, e) + text.slice(e2);
    }
    case 4: return text.slice(0, pick(text.length + 1));
    case 5: return text.slice(0, e) + (' ' + text.slice(s, e)).repeat(2000) + text.slice(e);
    case 6: {
      const open = ['[', '(', '{', '<'][pick(4)]!;
      return text.slice(0, s) + open.repeat(5000) + text.slice(s);
    }
    case 7: return text.slice(0, s) + ['...', '--x=1', '`', '"', '%{', '/*', '::', '0x', '-', '~', '*'][pick(11)]! + text.slice(e);
    default: return text.slice(0, s) + text.slice(s, e).split('').reverse().join('') + text.slice(e);
  }
}

test('10,000 mutated scripts: no exception, under a second each, every diagnostic positioned', (t) => {
  const rnd = mulberry32(0x5eed);
  const seeds = [...corpus().map((c) => c.text), ...SNIPPETS];
  let rejected = 0;
  let slowest = 0;
  for (let n = 0; n < 10_000; n++) {
    let text = seeds[n % seeds.length]!;
    const rounds = 1 + Math.floor(rnd() * 3);
    for (let r = 0; r < rounds; r++) text = mutate(text, rnd);
    const started = performance.now();
    const result = parseScript(text, 'fuzz.pkt');
    const took = performance.now() - started;
    slowest = Math.max(slowest, took);
    if (took > 1000) t.fail(`parse took ${Math.round(took)} ms on mutation ${n}`);
    const internal = result.diagnostics.find((d) => d.code === 'internal');
    if (internal) {
      t.fail(`mutation ${n}: ${internal.message}\n${JSON.stringify(text.slice(0, 400))}`);
      return;
    }
    if (!result.script) {
      rejected++;
      if (!result.diagnostics.some((d) => d.severity === 'error')) t.fail(`mutation ${n} rejected without an error`);
    }
    for (const d of result.diagnostics) {
      const { line, column, offset } = d.range.start;
      if (!(line >= 1 && column >= 1 && offset >= 0 && offset <= text.length) || d.message.length === 0) {
        t.fail(`mutation ${n}: badly positioned diagnostic ${JSON.stringify(d)}`);
        return;
      }
    }
  }
  t.log(`rejected ${rejected} of 10000; slowest parse ${slowest.toFixed(1)} ms`);
  t.true(rejected > 1000, 'mutations should break most scripts');
});
