// Shared by the grammar, fmt and fuzz tests: parsing snippets, listing the corpus.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Diagnostic, Event, Script, TcpBody, TcpOptionSpec, SyscallAction, PacketAction } from '../src/script/ast.js';
import { parseScript, type ParseOptions } from '../src/script/parse.js';

export const CORPUS_DIR = join(process.cwd(), 'test', 'scripts');

export function corpusFiles(dir = CORPUS_DIR): string[] {
  let out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(corpusFiles(p));
    else if (name.endsWith('.pkt')) out.push(p);
  }
  return out.sort();
}

export function corpus(): Array<{ file: string; text: string }> {
  return corpusFiles().map((file) => ({ file, text: readFileSync(file, 'utf8') }));
}

/** Parses and fails loudly (with every diagnostic) when the text has an error. */
export function parseOk(text: string, opts: ParseOptions = {}): Script {
  const r = parseScript(text, 'snippet.pkt', opts);
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  if (!r.script || errors.length > 0) throw new Error('expected no errors, got:\n' + errors.map(show).join('\n'));
  return r.script;
}

export function errors(text: string, opts: ParseOptions = {}): Diagnostic[] {
  return parseScript(text, 'snippet.pkt', opts).diagnostics.filter((d) => d.severity === 'error');
}

export function show(d: Diagnostic): string {
  return `${d.range.start.line}:${d.range.start.column} ${d.code}: ${d.message}`;
}

/** A one-event script: `0 <line>` after a socket call, returning that event. */
export function event(line: string, opts: ParseOptions = {}): Event {
  const s = parseOk(`0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 ${line}\n`, opts);
  return s.events[1]!;
}

export function packetOf(line: string, opts: ParseOptions = {}): PacketAction {
  const a = event(line, opts).action;
  if (a.kind !== 'packet') throw new Error(`not a packet: ${line}`);
  return a;
}

export function tcpOf(line: string): TcpBody {
  const b = packetOf(line).body;
  if (b.kind !== 'tcp') throw new Error(`not tcp: ${line}`);
  return b;
}

export function optionsOf(opts: string): TcpOptionSpec[] {
  const o = tcpOf(`> . 1:1(0) ack 1 <${opts}>`).options;
  if (!Array.isArray(o)) throw new Error('no option list');
  return o;
}

export function syscallOf(line: string, opts: ParseOptions = {}): SyscallAction {
  const a = event(line, opts).action;
  if (a.kind !== 'syscall') throw new Error(`not a syscall: ${line}`);
  return a;
}
