// An in-process POSIX shell for the command lines and setup scripts of packetdrill suites: lists,
// && and ||, pipelines, redirections and here-documents, variables, $((…)), $(…), quoting, if,
// for, while, until, case, functions, `.`, script files, `set -e`. It runs the AST of just-bash's
// parser; commands go to builtins, then to the host (the stack's stand-ins), then to real
// processes. Written here rather than taken whole from just-bash, whose interpreter simulates
// every tool on a virtual file system: here unknown tools must run for real, /proc/sys must be
// the stack's, and semantics must be dash's (what `/bin/sh -c` runs on the kernel target).
import type { CommandNode, CompoundCommandNode, PipelineNode, RedirectionNode, ScriptNode, SimpleCommandNode, StatementNode, WordNode } from './ast.js';
import { evalArithText } from './arith.js';
import { runBuiltin, BUILTINS } from './builtins.js';
import { ExitSignal, LoopSignal, ReturnSignal, ShellError, ShellLimit, Unsupported } from './errors.js';
import { expandHereDoc, expandPattern, expandToString, expandWordFields, type ExpandScope } from './expand.js';
import type { CommandContext, ShellHost } from './host.js';
import { BufferSink, Input, NULL_SINK, type Sink, type Streams } from './io.js';
import { matchPattern, patternSource, type PatternPiece } from './pattern.js';
import { parseShell } from './parse.js';

export type Dialect = 'sh' | 'bash';

/** Bounds on any input: commands run, output kept, nesting. */
export const LIMITS = { commands: 200_000, outputChars: 16 * 1024 * 1024, depth: 100 };

export interface ShellOptions {
  errexit: boolean;
  nounset: boolean;
}

/** Everything a subshell copies. */
export interface ShellState {
  vars: Map<string, string>;
  exported: Set<string>;
  functions: Map<string, CompoundCommandNode>;
  positional: string[];
  argv0: string;
  options: ShellOptions;
  cwd: string;
  status: number;
  dialect: Dialect;
  /** Saved values of `local` variables, innermost function last. */
  locals: Map<string, string | undefined>[];
}

export function cloneState(s: ShellState): ShellState {
  return {
    vars: new Map(s.vars), exported: new Set(s.exported), functions: new Map(s.functions), positional: [...s.positional],
    argv0: s.argv0, options: { ...s.options }, cwd: s.cwd, status: s.status, dialect: s.dialect, locals: s.locals.map((m) => new Map(m)),
  };
}

export function initialState(env: Record<string, string>, cwd: string, dialect: Dialect, argv0: string, args: string[] = []): ShellState {
  const vars = new Map(Object.entries(env));
  vars.set('PWD', cwd);
  vars.set('IFS', ' \t\n');
  return { vars, exported: new Set(Object.keys(env)), functions: new Map(), positional: args, argv0, options: { errexit: false, nounset: false }, cwd, status: 0, dialect, locals: [] };
}

/** Shared by a shell and its subshells: counters and the process ids the variables name. */
export interface Session {
  host: ShellHost;
  pid: number;
  ppid: number;
  commands: number;
  output: { remaining: number };
  depth: number;
}

export function newSession(host: ShellHost, pid: number, ppid: number): Session {
  return { host, pid, ppid, commands: 0, output: { remaining: LIMITS.outputChars }, depth: 0 };
}

const resolvePath = (cwd: string, p: string): string => {
  const joined = p.startsWith('/') ? p : `${cwd}/${p}`;
  const out: string[] = [];
  for (const seg of joined.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return `/${out.join('/')}`;
};

export class Shell implements ExpandScope {
  /** Line of the command running, for dash-style messages (`sh: 3: foo: not found`). */
  line = 1;
  /** Whether errexit is suspended (conditions, all but the last of && / ||, `!`). */
  private errexitOff = 0;

  constructor(readonly state: ShellState, readonly session: Session) {}

  // ---- ExpandScope -------------------------------------------------------------------------

  get nounset(): boolean {
    return this.state.options.nounset;
  }

  get dialect(): Dialect {
    return this.state.dialect;
  }

  get(name: string): string | undefined {
    return this.param(name);
  }

  set(name: string, value: string): void {
    this.state.vars.set(name, value);
  }

  param(name: string): string | undefined {
    const s = this.state;
    if (/^\d+$/.test(name)) return name === '0' ? s.argv0 : s.positional[Number(name) - 1];
    switch (name) {
      case '#': return String(s.positional.length);
      case '?': return String(s.status);
      case '$': return String(this.session.pid);
      case '!': return undefined;
      case '-': return `${s.options.errexit ? 'e' : ''}${s.options.nounset ? 'u' : ''}`;
      case '@':
      case '*': return s.positional.join(' ');
      case 'PPID': return s.vars.get('PPID') ?? String(this.session.ppid);
      default: return s.vars.get(name);
    }
  }

  positional(): string[] {
    return this.state.positional;
  }

  ifs(): string {
    return this.state.vars.get('IFS') ?? ' \t\n';
  }

  substitute(body: ScriptNode): string {
    const sub = new Shell(cloneState(this.state), this.session);
    sub.line = this.line;
    const out = new BufferSink(this.session.output);
    const status = sub.runTop(body.statements, { stdin: new Input(''), stdout: out, stderr: this.currentStderr ?? NULL_SINK });
    this.state.status = status;
    return out.text;
  }

  arithText(text: string): string {
    if (!/[$`]/.test(text)) return text;
    // Expanded as the inside of double quotes, as POSIX says of $((…)).
    const parsed = parseShell(`: "${text.replace(/(["\\])/g, '\\$1')}"`);
    if ('error' in parsed) throw new ShellError(`arithmetic expression: ${parsed.error}`, 2);
    const cmd = parsed.ast.statements[0]?.pipelines[0]?.commands[0];
    if (cmd?.type !== 'SimpleCommand' || cmd.args.length !== 1) throw new Unsupported('$((…)) text');
    return expandToString(cmd.args[0]!, this);
  }

  /** Where $(…) writes its errors: the stderr of the command being expanded. */
  private currentStderr: Sink | undefined;

  // ---- Running -----------------------------------------------------------------------------

  /** Runs statements to the end (or `exit`); the status, with errors written to stderr. */
  runTop(statements: StatementNode[], io: Streams): number {
    try {
      return this.runList(statements, io);
    } catch (err) {
      return this.settle(err, io);
    }
  }

  /** The status an exception ends a shell with; messages go to stderr. */
  private settle(err: unknown, io: Streams): number {
    if (err instanceof ExitSignal) return (this.state.status = err.status);
    if (err instanceof ReturnSignal) return (this.state.status = err.status);
    if (err instanceof LoopSignal) return this.state.status;
    if (err instanceof ShellError) {
      io.stderr.write(`${this.state.argv0}: ${this.line}: ${err.message}\n`);
      return (this.state.status = err.status);
    }
    throw err;
  }

  private tick(): void {
    if (++this.session.commands > LIMITS.commands) throw new ShellLimit(`more than ${LIMITS.commands} commands run`);
  }

  runList(statements: StatementNode[], io: Streams): number {
    let status = 0;
    for (const st of statements) status = this.runStatement(st, io);
    return status;
  }

  private runStatement(st: StatementNode, io: Streams): number {
    if (st.background) throw new Unsupported('background jobs (&)');
    if (st.deferredError) throw new ShellError(st.deferredError.message, 2);
    let status = 0;
    const last = st.pipelines.length - 1;
    for (let i = 0; i <= last; i++) {
      const op = i === 0 ? undefined : st.operators[i - 1];
      if (op === '&&' && status !== 0) continue;
      if (op === '||' && status === 0) continue;
      // errexit applies to the last pipeline of an and-or list only.
      const guarded = i < last && (st.operators[i] === '&&' || st.operators[i] === '||');
      if (guarded) this.errexitOff++;
      try {
        status = this.runPipeline(st.pipelines[i]!, io);
      } finally {
        if (guarded) this.errexitOff--;
      }
      this.state.status = status;
      if (!guarded && status !== 0 && this.state.options.errexit && this.errexitOff === 0 && !st.pipelines[i]!.negated) throw new ExitSignal(status);
    }
    return status;
  }

  private runPipeline(p: PipelineNode, io: Streams): number {
    if (p.timed) throw new Unsupported('time');
    if (p.negated) this.errexitOff++;
    let status = 0;
    try {
      if (p.commands.length === 1) status = this.runCommand(p.commands[0]!, io);
      else {
        let input = io.stdin;
        p.commands.forEach((c, i) => {
          const lastOne = i === p.commands.length - 1;
          const out = lastOne ? io.stdout : new BufferSink(this.session.output);
          const err = p.pipeStderr?.[i] ? out : io.stderr;
          // Every element of a pipeline runs in a subshell (dash runs even the last one so).
          const sub = new Shell(cloneState(this.state), this.session);
          sub.line = this.line;
          status = sub.runTop([{ type: 'Statement', pipelines: [{ type: 'Pipeline', commands: [c], negated: false }], operators: [], background: false }], { stdin: input, stdout: out, stderr: err });
          if (!lastOne) input = new Input((out as BufferSink).text);
        });
      }
    } finally {
      if (p.negated) this.errexitOff--;
    }
    return p.negated ? (status === 0 ? 1 : 0) : status;
  }

  runCommand(c: CommandNode, io: Streams): number {
    this.tick();
    if (c.line) this.line = c.line;
    switch (c.type) {
      case 'SimpleCommand': return this.runSimple(c, io);
      case 'FunctionDef':
        if (c.redirections.length > 0) throw new Unsupported('redirections on a function definition');
        this.state.functions.set(c.name, c.body);
        return 0;
      default: return this.withRedirections(c.redirections, io, (rio) => this.runCompound(c, rio));
    }
  }

  private condition(statements: StatementNode[], io: Streams): number {
    this.errexitOff++;
    try {
      return this.runList(statements, io);
    } finally {
      this.errexitOff--;
    }
  }

  private loopBody(statements: StatementNode[], io: Streams): 'break' | 'continue' | undefined {
    try {
      this.runList(statements, io);
      return undefined;
    } catch (e) {
      if (!(e instanceof LoopSignal)) throw e;
      if (e.levels > 1) { e.levels--; throw e; }
      return e.kind;
    }
  }

  private runCompound(c: CompoundCommandNode, io: Streams): number {
    switch (c.type) {
      case 'If': {
        for (const clause of c.clauses) if (this.condition(clause.condition, io) === 0) return this.runList(clause.body, io);
        return c.elseBody ? this.runList(c.elseBody, io) : 0;
      }
      case 'For': {
        const items = c.words ? c.words.flatMap((w) => this.fields(w)) : [...this.state.positional];
        let status = 0;
        for (const item of items) {
          this.tick();
          this.state.vars.set(c.variable, item);
          const signal = this.loopBody(c.body, io);
          status = this.state.status;
          if (signal === 'break') break;
        }
        return status;
      }
      case 'While':
      case 'Until': {
        let status = 0;
        for (;;) {
          this.tick();
          const cond = this.condition(c.condition, io);
          if ((cond === 0) !== (c.type === 'While')) break;
          const signal = this.loopBody(c.body, io);
          status = this.state.status;
          if (signal === 'break') break;
        }
        return status;
      }
      case 'Case': {
        const value = expandToString(c.word, this);
        for (let i = 0; i < c.items.length; i++) {
          const item = c.items[i]!;
          if (!item.patterns.some((p) => matchPattern(expandPattern(p, this), value))) continue;
          if (item.terminator !== ';;') throw new Unsupported(`case terminator ${item.terminator}`);
          return this.runList(item.body, io);
        }
        return 0;
      }
      case 'Subshell': {
        const sub = new Shell(cloneState(this.state), this.session);
        sub.line = this.line;
        return sub.runTop(c.body, io);
      }
      case 'Group': return this.runList(c.body, io);
      case 'ArithmeticCommand':
        if (this.state.dialect === 'sh') throw new Unsupported('((…)) in sh');
        return evalArithText(this.arithText(c.expression.originalText ?? ''), this, 'bash') !== 0n ? 0 : 1;
      default: throw new Unsupported(`${c.type}`);
    }
  }

  /** Fields of a command word, with pathname expansion against the host's file system. */
  fields(w: WordNode): string[] {
    return expandWordFields(w, this, (pattern) => this.glob(pattern));
  }

  private glob(pattern: PatternPiece[]): string[] | undefined {
    const text = pattern.map((p) => p.text).join('');
    if (text.includes('/') && pattern.some((p) => !p.quoted && p.text.includes('/') && /[*?[]/.test(p.text.split('/').slice(0, -1).join('/')))) throw new Unsupported('pathname expansion across folders');
    const slash = text.lastIndexOf('/');
    const dir = slash < 0 ? '' : text.slice(0, slash + 1);
    const last: PatternPiece[] = [];
    let consumed = 0;
    for (const p of pattern) {
      const start = consumed;
      consumed += p.text.length;
      if (consumed <= dir.length) continue;
      last.push({ text: p.text.slice(Math.max(0, dir.length - start)), quoted: p.quoted });
    }
    const re = new RegExp(`^${patternSource(last)}$`);
    const hiddenOk = last[0]?.text.startsWith('.') ?? false;
    const names = this.session.host.list(resolvePath(this.state.cwd, dir || '.')).filter((n) => (hiddenOk || !n.startsWith('.')) && re.test(n));
    return names.sort().map((n) => `${dir}${n}`);
  }

  private assign(node: SimpleCommandNode): Map<string, string> {
    const out = new Map<string, string>();
    for (const a of node.assignments) {
      if (a.array) throw new Unsupported('array assignment');
      const v = a.value ? expandToString(a.value, this) : '';
      out.set(a.name, a.append ? (this.param(a.name) ?? '') + v : v);
    }
    return out;
  }

  private runSimple(c: SimpleCommandNode, io: Streams): number {
    const prevErr = this.currentStderr;
    this.currentStderr = io.stderr;
    let words: string[];
    let assignments: Map<string, string>;
    try {
      assignments = this.assign(c);
      words = [];
      if (c.name) words.push(...this.fields(c.name));
      for (const a of c.args) words.push(...this.fields(a));
    } finally {
      this.currentStderr = prevErr;
    }
    if (words.length === 0) {
      // Assignments alone set shell variables; the status is the last command substitution's.
      const subStatus = c.assignments.length > 0 ? this.state.status : 0;
      for (const [k, v] of assignments) this.state.vars.set(k, v);
      return this.withRedirections(c.redirections, io, () => (c.redirections.length > 0 && c.assignments.length === 0 ? 0 : subStatus));
    }
    const [name, ...args] = words as [string, ...string[]];
    return this.withRedirections(c.redirections, io, (rio) => this.invoke(name, args, assignments, rio));
  }

  /** Runs a command by name: a function, a builtin, a host command, a script file or a program. */
  invoke(name: string, args: string[], assignments: Map<string, string>, io: Streams): number {
    const fn = this.state.functions.get(name);
    if (fn) return this.callFunction(fn, args, assignments, io);
    if (MISSING_BUILTINS.has(name)) throw new Unsupported(`the ${name} builtin`);
    if (BUILTINS.has(name) && (name !== 'source' || this.state.dialect === 'bash')) {
      // Assignments before a special builtin stay (POSIX); before a regular one they are temporary.
      for (const [k, v] of assignments) this.state.vars.set(k, v);
      return runBuiltin(this, name, args, io);
    }
    // The environment is built only for what reads it (programs, script files).
    const build = (): Record<string, string> => this.exportedEnv(assignments);
    let env: Record<string, string> | undefined;
    const ctx: CommandContext = { cwd: this.state.cwd, get env() { return (env ??= build()); } };
    if (!name.includes('/')) {
      const hosted = this.session.host.command(name, args, io, ctx);
      if (hosted !== undefined) return hosted;
    }
    const file = this.lookup(name);
    if (file === undefined) {
      io.stderr.write(`${this.state.argv0}: ${this.line}: ${name}: not found\n`);
      return 127;
    }
    if ('error' in file) {
      io.stderr.write(`${this.state.argv0}: ${this.line}: ${name}: ${file.error}\n`);
      return file.status;
    }
    return this.execFile(file.path, name, args, ctx, io);
  }

  /** PATH lookup as dash does; a name with a slash is taken as a path. */
  private lookup(name: string): { path: string } | { error: string; status: number } | undefined {
    const host = this.session.host;
    if (name.includes('/')) {
      const path = resolvePath(this.state.cwd, name);
      const st = host.stat(path);
      if (!st) return { error: 'not found', status: 127 };
      if (st.dir || !st.executable) return { error: 'Permission denied', status: 126 };
      return { path };
    }
    for (const dir of (this.param('PATH') ?? '/usr/bin:/bin').split(':')) {
      const path = resolvePath(this.state.cwd, `${dir || '.'}/${name}`);
      const st = host.stat(path);
      if (st?.file && st.executable) return { path };
    }
    return undefined;
  }

  /** A file run as a command: shell scripts in-process (as the interpreter its first line names), others for real. */
  private execFile(path: string, name: string, args: string[], ctx: CommandContext, io: Streams): number {
    const text = this.session.host.readFile(path);
    const dialect = typeof text === 'string' ? scriptDialect(text) : undefined;
    if (typeof text !== 'string' || dialect === undefined) {
      const r = this.session.host.spawn([path, ...args], io.stdin.readAll(), ctx);
      io.stdout.write(r.stdout);
      io.stderr.write(r.stderr);
      return r.status;
    }
    if (++this.session.depth > LIMITS.depth) throw new ShellLimit(`scripts nested more than ${LIMITS.depth} deep`);
    try {
      const parsed = parseShell(text);
      if ('error' in parsed) {
        io.stderr.write(`${name}: ${parsed.error}\n`);
        return 2;
      }
      assertSupported(parsed.ast, dialect);
      const child = new Shell(initialState(ctx.env, this.state.cwd, dialect, name, args), this.session);
      return child.runTop(parsed.ast.statements, io);
    } finally {
      this.session.depth--;
    }
  }

  private callFunction(body: CompoundCommandNode, args: string[], assignments: Map<string, string>, io: Streams): number {
    if (++this.session.depth > LIMITS.depth) throw new ShellLimit(`functions nested more than ${LIMITS.depth} deep`);
    const saved = this.state.positional;
    const savedVars = new Map<string, string | undefined>();
    for (const [k, v] of assignments) { savedVars.set(k, this.state.vars.get(k)); this.state.vars.set(k, v); }
    this.state.positional = args;
    this.state.locals.push(new Map());
    try {
      return this.runCommand(body, io);
    } catch (e) {
      if (e instanceof ReturnSignal) return (this.state.status = e.status);
      throw e;
    } finally {
      for (const [k, v] of this.state.locals.pop()!) if (v === undefined) this.state.vars.delete(k); else this.state.vars.set(k, v);
      for (const [k, v] of savedVars) if (v === undefined) this.state.vars.delete(k); else this.state.vars.set(k, v);
      this.state.positional = saved;
      this.session.depth--;
    }
  }

  /** The environment a program gets: exported variables plus the command's own assignments. */
  exportedEnv(assignments: Map<string, string> = new Map()): Record<string, string> {
    const env: Record<string, string> = {};
    for (const k of this.state.exported) {
      const v = this.state.vars.get(k);
      if (v !== undefined) env[k] = v;
    }
    for (const [k, v] of assignments) env[k] = v;
    env['PWD'] = this.state.cwd;
    return env;
  }

  resolve(path: string): string {
    return resolvePath(this.state.cwd, path);
  }

  /** Applies redirections around `run`; output files are closed (virtual ones committed) after it. */
  private withRedirections(redirs: RedirectionNode[], io: Streams, run: (io: Streams) => number): number {
    if (redirs.length === 0) return run(io);
    const rio: Streams = { ...io, more: new Map(io.more) };
    const opened: Sink[] = [];
    const setFd = (fd: number, to: Sink | Input): void => {
      if (fd === 0) rio.stdin = to as Input;
      else if (fd === 1) rio.stdout = to as Sink;
      else if (fd === 2) rio.stderr = to as Sink;
      else rio.more!.set(fd, to);
    };
    const getFd = (fd: number): Sink | Input | undefined => (fd === 0 ? rio.stdin : fd === 1 ? rio.stdout : fd === 2 ? rio.stderr : rio.more!.get(fd));
    try {
      for (const r of redirs) {
        if (r.fdVariable) throw new Unsupported('{var}> redirections');
        const target = r.target;
        if (target.type === 'HereDoc') {
          let text = target.quoted ? target.content.parts.map((p) => (p.type === 'Literal' ? p.value : '')).join('') : expandHereDoc(target.content, this);
          if (target.stripTabs) text = text.replace(/^\t+/gm, '');
          setFd(r.fd ?? 0, new Input(text));
          continue;
        }
        const word = expandToString(target, this);
        switch (r.operator) {
          case '<<<': setFd(r.fd ?? 0, new Input(`${word}\n`)); break;
          case '<': {
            const text = this.session.host.readFile(this.resolve(word));
            if (typeof text !== 'string') throw new ShellError(`cannot open ${word}: ${text.error}`, 2);
            setFd(r.fd ?? 0, new Input(text, 0, this.session.host.readsOneByteOnly(this.resolve(word))));
            break;
          }
          case '>':
          case '>|':
          case '>>':
          case '&>':
          case '&>>': {
            if (r.operator.startsWith('&') && this.state.dialect === 'sh') throw new Unsupported('&> in sh');
            const sink = this.openOutput(word, r.operator.endsWith('>>'), getFd);
            opened.push(sink);
            if (r.operator.startsWith('&')) { setFd(1, sink); setFd(2, sink); } else setFd(r.fd ?? 1, sink);
            break;
          }
          case '>&':
          case '<&': {
            const fd = r.fd ?? (r.operator === '>&' ? 1 : 0);
            if (word === '-') { setFd(fd, fd === 0 ? new Input('') : NULL_SINK); break; }
            if (!/^\d$/.test(word)) {
              if (r.operator === '>&' && r.fd === null && this.state.dialect === 'bash') {
                const sink = this.openOutput(word, false, getFd);
                opened.push(sink);
                setFd(1, sink);
                setFd(2, sink);
                break;
              }
              throw new ShellError(`${word}: Bad fd number`, 2);
            }
            const to = getFd(Number(word));
            if (to === undefined) throw new ShellError(`${word}: Bad fd number`, 2);
            setFd(fd, to);
            break;
          }
          default: throw new Unsupported(`redirection ${r.operator}`);
        }
      }
    } catch (e) {
      for (const s of opened) s.close?.();
      if (e instanceof ShellError) {
        io.stderr.write(`${this.state.argv0}: ${this.line}: ${e.message}\n`);
        return (this.state.status = e.status);
      }
      throw e;
    }
    let status: number;
    try {
      status = run(rio);
    } finally {
      for (const s of opened) {
        const err = s.close?.();
        if (err) io.stderr.write(`${this.state.argv0}: ${this.line}: ${err}\n`);
      }
    }
    return status;
  }

  private openOutput(word: string, append: boolean, fds: (fd: number) => Sink | Input | undefined): Sink {
    if (word === '/dev/null') return NULL_SINK;
    const dev = /^\/dev\/(?:(stdout)|(stderr)|fd\/(\d))$/.exec(word);
    if (dev) {
      const to = fds(dev[1] ? 1 : dev[2] ? 2 : Number(dev[3]));
      if (!to || to instanceof Input) throw new ShellError(`cannot create ${word}: Bad file descriptor`, 2);
      // Not closed by this redirection: it belongs to the descriptor it duplicates.
      return { write: (t) => to.write(t) };
    }
    const sink = this.session.host.openWrite(this.resolve(word), append);
    if ('error' in sink) throw new ShellError(`cannot create ${word}: ${sink.error}`, 2);
    return sink;
  }
}

/** The dialect a script file is run in (by its first line), or undefined for other interpreters. */
export function scriptDialect(text: string): Dialect | undefined {
  if (!text.startsWith('#!')) return text.includes('\0') ? undefined : 'sh';
  const first = text.slice(2, text.indexOf('\n') < 0 ? text.length : text.indexOf('\n')).trim();
  const [interp, ...rest] = first.split(/\s+/);
  const prog = interp === '/usr/bin/env' ? rest[0] : interp;
  const flags = interp === '/usr/bin/env' ? rest.slice(1) : rest;
  // `#!/bin/sh -x` and similar change what is printed: a real shell runs those.
  if (flags.some((f) => f !== '-e')) return undefined;
  if (prog === '/bin/sh' || prog === 'sh' || prog === '/bin/dash' || prog === 'dash') return 'sh';
  if (prog === '/bin/bash' || prog === 'bash' || prog === '/usr/bin/bash') return 'bash';
  return undefined;
}

/** Builtins of dash and bash that the interpreter does not have: never to be looked up as programs. */
export const MISSING_BUILTINS = new Set(['trap', 'alias', 'unalias', 'umask', 'ulimit', 'getopts', 'hash', 'type', 'times', 'jobs', 'fg', 'bg', 'exec', 'kill', 'let', 'declare', 'typeset', 'shopt', 'pushd', 'popd', 'dirs', 'disown', 'suspend', 'mapfile', 'readarray', 'enable', 'builtin', 'caller', 'compgen', 'complete', 'history', 'fc', 'bind', 'logout', 'coproc', 'select']);

/** Throws Unsupported for anything in the AST this interpreter does not run. */
/** ASTs already found supported, per dialect: a suite checks the same setup script before every test. */
const supported = new WeakMap<ScriptNode, Set<Dialect>>();

export function assertSupported(ast: ScriptNode, dialect: Dialect): void {
  if (supported.get(ast)?.has(dialect)) return;
  walkSupported(ast, dialect);
  const dialects = supported.get(ast) ?? new Set<Dialect>();
  dialects.add(dialect);
  supported.set(ast, dialects);
}

function walkSupported(ast: ScriptNode, dialect: Dialect): void {
  const visit = (node: unknown): void => {
    if (node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) { node.forEach(visit); return; }
    const n = node as { type?: string };
    switch (n.type) {
      case 'CStyleFor':
      case 'ConditionalCommand':
      case 'ProcessSubstitution':
      case 'BraceExpansion':
        throw new Unsupported(`${n.type}`);
      case 'ArithmeticCommand':
        if (dialect === 'sh') throw new Unsupported(`${n.type} in sh`);
        break;
      case 'Statement':
        if ((n as StatementNode).background) throw new Unsupported('background jobs (&)');
        break;
      case 'SimpleCommand': {
        const first = (n as SimpleCommandNode).name?.parts;
        const name = first?.length === 1 && first[0]!.type === 'Literal' ? first[0]!.value : undefined;
        if (name !== undefined && MISSING_BUILTINS.has(name)) throw new Unsupported(`the ${name} builtin`);
        break;
      }
      case 'Pipeline':
        if ((n as PipelineNode).timed) throw new Unsupported('time');
        break;
      case 'ParameterExpansion': {
        const op = (n as { operation: { type: string } | null }).operation;
        if (op && !['DefaultValue', 'AssignDefault', 'ErrorIfUnset', 'UseAlternative', 'Length', 'PatternRemoval'].includes(op.type)) throw new Unsupported(`\${…} ${op.type}`);
        break;
      }
      default:
        break;
    }
    for (const v of Object.values(n)) if (v && typeof v === 'object') visit(v);
  };
  visit(ast);
}

