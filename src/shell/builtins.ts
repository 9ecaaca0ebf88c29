// The shell's builtins, as dash (and, where the script is bash, bash) behave for the forms setup
// scripts use. Anything else a builtin could be asked (options nobody passes) is an error with
// the shell's wording, never a silent difference.
import { ExitSignal, LoopSignal, ReturnSignal, ShellError, Unsupported } from './errors.js';
import type { Streams } from './io.js';
import { assertSupported, type Shell } from './interpreter.js';
import { parseShell } from './parse.js';
import { printf } from './printf.js';
import { testCommand } from './test-command.js';

type Builtin = (sh: Shell, args: string[], io: Streams) => number;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** dash's echo: `-n` first, backslash escapes always; bash's: -n/-e/-E, escapes only with -e. */
function echo(sh: Shell, args: string[], io: Streams): number {
  let newline = true;
  let escapes = sh.state.dialect === 'sh';
  let i = 0;
  if (sh.state.dialect === 'sh') {
    if (args[0] === '-n') { newline = false; i = 1; }
  } else {
    for (; i < args.length && /^-[neE]+$/.test(args[i]!); i++) {
      for (const f of args[i]!.slice(1)) {
        if (f === 'n') newline = false;
        else escapes = f === 'e';
      }
    }
  }
  let text = args.slice(i).join(' ');
  if (escapes) {
    const cut = { stop: false };
    text = unescapeEcho(text, cut);
    if (cut.stop) newline = false;
  }
  io.stdout.write(newline ? `${text}\n` : text);
  return 0;
}

/** echo's escapes (\c ends the output). */
export function unescapeEcho(text: string, cut: { stop: boolean }): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== '\\' || i + 1 >= text.length) { out += c; continue; }
    const n = text[++i]!;
    const map: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\' };
    if (n in map) out += map[n];
    else if (n === 'c') { cut.stop = true; return out; }
    else if (n === '0') {
      const m = /^[0-7]{0,3}/.exec(text.slice(i + 1))![0];
      out += String.fromCharCode(parseInt(m || '0', 8) & 0xff);
      i += m.length;
    } else out += `\\${n}`;
  }
  return out;
}

function setOptions(sh: Shell, args: string[]): number {
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') { i++; sh.state.positional = args.slice(i); return 0; }
    if (!/^[-+][eu]+$/.test(a)) {
      if (/^[-+]/.test(a)) throw new Unsupported(`set ${a}`);
      break;
    }
    for (const f of a.slice(1)) {
      if (f === 'e') sh.state.options.errexit = a[0] === '-';
      else sh.state.options.nounset = a[0] === '-';
    }
  }
  if (i < args.length) sh.state.positional = args.slice(i);
  return 0;
}

function runText(sh: Shell, text: string, io: Streams, what: string): number {
  const parsed = parseShell(text);
  if ('error' in parsed) throw new ShellError(`${what}: ${parsed.error}`, 2);
  assertSupported(parsed.ast, sh.state.dialect);
  return sh.runList(parsed.ast.statements, io);
}

function dot(sh: Shell, args: string[], io: Streams): number {
  const [file, ...rest] = args;
  if (file === undefined) throw new ShellError('.: filename argument required', 2);
  let path: string | undefined;
  if (file.includes('/')) path = sh.resolve(file);
  else {
    for (const dir of (sh.param('PATH') ?? '').split(':')) {
      const p = sh.resolve(`${dir || '.'}/${file}`);
      if (sh.session.host.stat(p)?.file) { path = p; break; }
    }
    // bash also looks in the current folder.
    if (!path && sh.state.dialect === 'bash' && sh.session.host.stat(sh.resolve(file))?.file) path = sh.resolve(file);
  }
  const text = path ? sh.session.host.readFile(path) : { error: 'not found' };
  if (typeof text !== 'string') throw new ShellError(`.: cannot open ${file}: ${'error' in text ? text.error : ''}`, 2);
  const saved = sh.state.positional;
  if (rest.length > 0) sh.state.positional = rest;
  try {
    return runText(sh, text, io, file);
  } catch (e) {
    if (e instanceof ReturnSignal) return e.status;
    throw e;
  } finally {
    if (rest.length > 0) sh.state.positional = saved;
  }
}

function read(sh: Shell, args: string[], io: Streams): number {
  let raw = false;
  let names = args;
  while (names[0]?.startsWith('-') && names[0] !== '-') {
    if (names[0] === '-r') raw = true;
    else throw new Unsupported(`read ${names[0]}`);
    names = names.slice(1);
  }
  if (names.length === 0) {
    if (sh.state.dialect === 'sh') throw new ShellError('read: arg count', 2);
    names = ['REPLY'];
  }
  let line = '';
  let complete = false;
  if (io.stdin.oneByteOnly && sh.state.dialect === 'sh') {
    // dash reads a byte at a time: an integer sysctl gives its first byte, then EOF.
    const first = io.stdin.pos === 0 ? io.stdin.text.slice(0, 1) : '';
    io.stdin.pos = io.stdin.text.length;
    line = first === '\n' ? '' : first;
    complete = first === '\n';
  } else for (;;) {
    const got = io.stdin.readLine();
    if (!got) break;
    complete = got.complete;
    if (!raw && got.line.endsWith('\\') && got.complete) { line += got.line.slice(0, -1); continue; }
    line += got.line;
    break;
  }
  if (!raw) line = line.replace(/\\(.)/g, '$1');
  const ifs = sh.ifs();
  const white = new RegExp(`^[${[...ifs].filter((c) => ' \t\n'.includes(c)).join('').replace(/\t/, '\\t').replace(/\n/, '\\n')}]+`);
  let rest = ifs === '' ? line : line.replace(white, '');
  names.forEach((n, i) => {
    if (i === names.length - 1) {
      sh.set(n, ifs === '' ? rest : rest.replace(new RegExp(`[${[...ifs].map((c) => (c === '\t' ? '\\t' : c === '\n' ? '\\n' : c)).join('')}]+$`), ''));
      return;
    }
    let j = 0;
    while (j < rest.length && !ifs.includes(rest[j]!)) j++;
    sh.set(n, rest.slice(0, j));
    rest = rest.slice(j).replace(white, '');
    if (rest[0] && ifs.includes(rest[0]) && !' \t\n'.includes(rest[0])) rest = rest.slice(1).replace(white, '');
  });
  return complete ? 0 : 1;
}

function numberArg(arg: string | undefined, fallback: number, what: string): number {
  if (arg === undefined) return fallback;
  if (!/^\d+$/.test(arg)) throw new ShellError(`${what}: Illegal number: ${arg}`, 2);
  return Number(arg);
}

const TABLE: Record<string, Builtin> = {
  ':': () => 0,
  true: () => 0,
  false: () => 1,
  echo,
  printf: (sh, args, io) => printf(args, io),
  pwd: (sh, _args, io) => { io.stdout.write(`${sh.state.cwd}\n`); return 0; },
  cd: (sh, args, io) => {
    const dir = args[0] ?? sh.param('HOME') ?? '/';
    const path = sh.resolve(dir);
    if (!sh.session.host.stat(path)?.dir) { io.stderr.write(`${sh.state.argv0}: ${sh.line}: cd: can't cd to ${dir}\n`); return 2; }
    sh.state.cwd = path;
    sh.set('PWD', path);
    return 0;
  },
  export: (sh, args) => {
    for (const a of args.filter((x) => x !== '-n')) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a : a.slice(0, eq);
      if (!NAME.test(name)) throw new ShellError(`export: ${a}: bad variable name`, 2);
      if (eq >= 0) sh.set(name, a.slice(eq + 1));
      sh.state.exported.add(name);
    }
    return 0;
  },
  readonly: (sh, args) => {
    for (const a of args) {
      const eq = a.indexOf('=');
      if (eq >= 0) sh.set(a.slice(0, eq), a.slice(eq + 1));
    }
    return 0;
  },
  unset: (sh, args) => {
    for (const a of args) {
      if (a === '-v') continue;
      if (a === '-f') throw new Unsupported('unset -f');
      sh.state.vars.delete(a);
      sh.state.exported.delete(a);
    }
    return 0;
  },
  local: (sh, args) => {
    const frame = sh.state.locals.at(-1);
    if (!frame) throw new ShellError('local: not in a function', 2);
    for (const a of args) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a : a.slice(0, eq);
      if (!frame.has(name)) frame.set(name, sh.state.vars.get(name));
      if (eq >= 0) sh.set(name, a.slice(eq + 1));
    }
    return 0;
  },
  set: (sh, args, io) => {
    if (args.length === 0) {
      for (const [k, v] of [...sh.state.vars].sort(([a], [b]) => (a < b ? -1 : 1))) io.stdout.write(`${k}='${v.replace(/'/g, `'\\''`)}'\n`);
      return 0;
    }
    return setOptions(sh, args);
  },
  shift: (sh, args) => {
    const n = numberArg(args[0], 1, 'shift');
    if (n > sh.state.positional.length) throw new ShellError(`shift: can't shift that many`, 2);
    sh.state.positional = sh.state.positional.slice(n);
    return 0;
  },
  exit: (sh, args) => { throw new ExitSignal(numberArg(args[0], sh.state.status, 'exit') & 0xff); },
  return: (sh, args) => { throw new ReturnSignal(numberArg(args[0], sh.state.status, 'return') & 0xff); },
  break: (_sh, args) => { throw new LoopSignal('break', numberArg(args[0], 1, 'break')); },
  continue: (_sh, args) => { throw new LoopSignal('continue', numberArg(args[0], 1, 'continue')); },
  '.': dot,
  source: dot,
  eval: (sh, args, io) => (args.length === 0 ? 0 : runText(sh, args.join(' '), io, 'eval')),
  test: (sh, args, io) => testCommand(sh, args, io, 'test'),
  '[': (sh, args, io) => {
    if (args.at(-1) !== ']') { io.stderr.write(`${sh.state.argv0}: ${sh.line}: [: missing ]\n`); return 2; }
    return testCommand(sh, args.slice(0, -1), io, '[');
  },
  read,
  wait: () => 0,
  command: (sh, args, io) => {
    if (args[0] === '-v') {
      const name = args[1] ?? '';
      if (TABLE[name] || sh.state.functions.has(name)) { io.stdout.write(`${name}\n`); return 0; }
      for (const dir of (sh.param('PATH') ?? '').split(':')) {
        const p = sh.resolve(`${dir || '.'}/${name}`);
        const st = sh.session.host.stat(p);
        if (st?.file && st.executable) { io.stdout.write(`${p}\n`); return 0; }
      }
      return 127;
    }
    if (args[0]?.startsWith('-')) throw new Unsupported(`command ${args[0]}`);
    const [name, ...rest] = args;
    return name === undefined ? 0 : sh.invoke(name, rest, new Map(), io);
  },
};

export const BUILTINS = new Set(Object.keys(TABLE));

export function runBuiltin(sh: Shell, name: string, args: string[], io: Streams): number {
  try {
    return TABLE[name]!(sh, args, io);
  } catch (e) {
    // A builtin's error ends the builtin only (dash ends a non-interactive shell on a special
    // builtin's error, which setup scripts never rely on).
    if (e instanceof ShellError && !['.', 'source', 'eval'].includes(name)) {
      io.stderr.write(`${sh.state.argv0}: ${sh.line}: ${e.message}\n`);
      return e.status;
    }
    throw e;
  }
}
