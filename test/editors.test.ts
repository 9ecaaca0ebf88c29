// Editor support (editors/): the VS Code extension folder carries the project's TextMate grammar
// unchanged and valid manifests; the vim syntax file knows every keyword and system call of the
// grammar and, when vim is installed, highlights a corpus script as intended.

import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keywordTokens } from '../grammar/tokens.js';
import { SYSCALL_NAMES } from '../src/script/build-syscalls.js';
import { repoRoot } from './helpers/paths.js';

const editors = join(repoRoot, 'editors');

test('the VS Code folder: its grammar is grammar/pkt.tmLanguage.json, its manifests point at real files', (t) => {
  t.is(readFileSync(join(editors, 'vscode', 'syntaxes', 'pkt.tmLanguage.json'), 'utf8'), readFileSync(join(repoRoot, 'grammar', 'pkt.tmLanguage.json'), 'utf8'));
  const manifest = JSON.parse(readFileSync(join(editors, 'vscode', 'package.json'), 'utf8')) as {
    contributes: { languages: Array<{ id: string; extensions: string[]; configuration: string }>; grammars: Array<{ language: string; scopeName: string; path: string }>; problemMatchers: Array<{ pattern: { regexp: string } }> };
  };
  const [language] = manifest.contributes.languages;
  t.deepEqual(language!.extensions, ['.pkt']);
  t.true(existsSync(join(editors, 'vscode', language!.configuration)));
  const [grammar] = manifest.contributes.grammars;
  t.is(grammar!.language, language!.id);
  t.is(grammar!.scopeName, 'source.pkt');
  t.true(existsSync(join(editors, 'vscode', grammar!.path)));
  const config = JSON.parse(readFileSync(join(editors, 'vscode', language!.configuration), 'utf8')) as { comments: { lineComment: string } };
  t.is(config.comments.lineComment, '//');
  // The problem matcher reads `check`'s diagnostics.
  const m = new RegExp(manifest.contributes.problemMatchers[0]!.pattern.regexp).exec("dir/bad.pkt:7:31: error: unknown constant 'SOCK_STREEM'");
  t.deepEqual(m?.slice(1), ['dir/bad.pkt', '7', '31', 'error', "unknown constant 'SOCK_STREEM'"]);
});

test('the vim syntax file knows every keyword and system call', (t) => {
  const vim = readFileSync(join(editors, 'vim', 'syntax', 'pkt.vim'), 'utf8');
  const words = new Set(vim.split('\n').filter((l) => l.startsWith('syn keyword ')).flatMap((l) => l.split(/\s+/).slice(3)));
  t.deepEqual([...keywordTokens.keys()].filter((k) => !words.has(k)), []);
  t.deepEqual(SYSCALL_NAMES.filter((k) => !words.has(k)), []);
  t.regex(readFileSync(join(editors, 'vim', 'ftdetect', 'pkt.vim'), 'utf8'), /\*\.pkt setfiletype pkt/);
});

test('vim highlights a corpus script: option line, time, call, direction, range, keyword, command, comment', (t) => {
  if (spawnSync('vim', ['--version']).status !== 0) return t.pass('vim is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'mptcpdrill-vim-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'out');
  const script = join(repoRoot, 'test', 'scripts', 'mptcp', 'capable', 'server-v1.pkt');
  const lines = readFileSync(script, 'utf8').split('\n');
  const at = (re: RegExp): [number, number] => {
    const i = lines.findIndex((l) => re.test(l));
    return [i + 1, lines[i]!.search(re) + 1];
  };
  const probes: Array<[[number, number], string]> = [
    [at(/^--tolerance_usecs/), 'pktOption'],
    [at(/socket\(/), 'pktSyscall'],
    [at(/^0 /), 'pktTime'],
    [at(/< S /), 'pktDirection'],
    [at(/0:0\(0\)/), 'pktSeqRange'],
    [at(/\bmss 1460/), 'pktKeyword'],
    [at(/mpcapable/), 'pktMptcp'],
    [at(/^`/), 'pktCommand'],
    [at(/^\/\//), 'pktComment'],
  ];
  const calls = probes.map(([[l, c]]) => `echo synIDattr(synID(${l}, ${c}, 1), "name")`);
  const r = spawnSync('vim', ['-es', '-N', '-u', 'NONE', '-c', `set rtp+=${join(editors, 'vim')}`, '-c', 'syntax on', '-c', 'filetype on', '-c', `e ${script}`, '-c', `redir! > ${out}`, '-c', ['echo &filetype', ...calls].join(' | '), '-c', 'redir END', '-c', 'qa!'], { encoding: 'utf8', timeout: 30_000 });
  t.is(r.status, 0, r.stderr);
  const seen = readFileSync(out, 'utf8').split('\n').filter(Boolean);
  t.deepEqual(seen, ['pkt', ...probes.map(([, name]) => name)]);
  return undefined;
});
