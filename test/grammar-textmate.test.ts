import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

interface Rule {
  name?: string;
  match?: string;
  begin?: string;
  end?: string;
  patterns?: Rule[];
  include?: string;
}

const grammar = JSON.parse(readFileSync(join(process.cwd(), 'grammar', 'pkt.tmLanguage.json'), 'utf8')) as {
  scopeName: string;
  patterns: Rule[];
  repository: Record<string, Rule>;
};

function* rules(r: Rule): Generator<Rule> {
  yield r;
  for (const p of r.patterns ?? []) yield* rules(p);
}

const all = Object.values(grammar.repository).flatMap((r) => [...rules(r)]);

/** The scope a sample gets from the first rule (in repository order) whose match covers it all. */
function scopeOf(sample: string, line: string): string[] {
  const out: string[] = [];
  for (const r of all) {
    if (!r.match || !r.name) continue;
    const re = new RegExp(r.match, 'g');
    for (const m of line.matchAll(re)) if (m[0] === sample) out.push(r.name);
  }
  return out;
}

test('the TextMate grammar is valid JSON whose regexes compile', (t) => {
  t.is(grammar.scopeName, 'source.pkt');
  for (const r of all) {
    for (const re of [r.match, r.begin, r.end]) if (re !== undefined) t.notThrows(() => new RegExp(re), re);
  }
  for (const p of grammar.patterns) t.truthy(grammar.repository[p.include!.slice(1)], p.include);
});

test('the TextMate grammar scopes the parts of a script', (t) => {
  const packet = '+0.01 < S. 0:0(0) ack 1 win 8000 <mss 1400, mpcapable v1 flags[flag_h] key[srv=12], dss dack8=11 nocs>';
  t.true(scopeOf('mpcapable', packet).includes('keyword.other.mptcp.pkt'));
  t.true(scopeOf('dack8', packet).includes('keyword.other.mptcp.pkt'));
  t.true(scopeOf('mss', packet).includes('keyword.other.packet.pkt'));
  t.true(scopeOf('S.', packet).includes('keyword.other.tcp-flags.pkt'));
  t.true(scopeOf('<', packet).includes('keyword.control.direction.pkt'));
  const call = '+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0 // why';
  t.true(scopeOf('setsockopt', call).includes('support.function.syscall.pkt'));
  t.true(scopeOf('SO_REUSEADDR', call).includes('constant.other.symbol.pkt'));
  t.true(scopeOf('// why', call).includes('comment.line.double-slash.pkt'));
  t.true(scopeOf('0x81', 'flags 0x81').includes('constant.numeric.hex.pkt'));
  t.true(scopeOf('2001:db8::1', 'x 2001:db8::1 y').includes('constant.numeric.ipv6.pkt'));
  t.deepEqual(scopeOf('1:1001', '1:1001(1000)').filter((s) => s.includes('ipv6')), []);
  const time = new RegExp(grammar.repository['event-time']!.match!);
  t.is(time.exec('+0.1~+0.3 > S 0:0(0)')?.[1], '+0.1~+0.3');
  const opt = new RegExp(grammar.repository['option-line']!.match!);
  t.is(opt.exec('--tolerance_usecs=20000')?.[3], '20000');
});
