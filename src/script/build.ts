// The CST visitor: builds the typed script model of ast.ts from the parse tree, once. Names are
// resolved here (constants, syscalls, errno values), times converted to µs, and the facts that
// only need one line are checked (sequence ranges, time forms, inbound-only rules). Packet and
// MPTCP parts live in build-packet.ts and build-mptcp.ts; this class only dispatches to them,
// because Chevrotain wants one visitor class with a method per grammar rule.

import type { CstNode, IToken } from 'chevrotain';
import type {
  Action, ArrayExpr, CallExpr, CodeAction, Comment, Event, EventTime, Expr, NamedArg, OptionLine, PmEventAction, Script,
  ShellAction, SourceRange, StructExpr, StructField, SyscallAction, TimePoint,
} from './ast.js';
import { pktParser } from '../../grammar/parser.js';
import { lookupSymbol, errnoValue } from '../sys/symbols.js';
import {
  type Ctx, ctxRange, enterNode, leaveNode, decodeString, node, nodeRange, nodes, spanRanges, tok, tokenRange, toks,
} from './build-util.js';
import type { Reporter } from './checks/report.js';
import { secondsTextToUsecs } from './build-time.js';
import { isCounterCall, isSyscallName } from './build-syscalls.js';
import { counterArg } from './build-counter.js';
import { namedArgs, pmArgs } from './build-pm.js';
import { isPmEventName, PM_EVENT_ATTRS, PM_EVENT_TYPES } from './pm-events.js';
import { isPmCall } from './pm-commands.js';
import * as P from './build-packet.js';
import * as M from './build-mptcp.js';

const BaseVisitor = pktParser.getBaseCstVisitorConstructor();

/** What a build needs besides the tree: the text (for notes) and where diagnostics go. */
export interface BuildContext {
  file: string;
  text: string;
  sink: Reporter;
  comments: IToken[];
}

export class ScriptBuilder extends BaseVisitor {
  /** Set for the duration of one `build` call (the visitor itself is a process singleton). */
  ctx!: BuildContext;

  constructor() {
    super();
    this.validateVisitor();
  }

  /** Keeps each node on the stack while it is visited, so ctxRange can read its location. */
  override visit(n: CstNode | CstNode[], param?: unknown): unknown {
    const first = Array.isArray(n) ? n[0] : n;
    if (!first) return super.visit(n, param);
    enterNode(first);
    try {
      return super.visit(n, param);
    } finally {
      leaveNode();
    }
  }

  get sink(): Reporter {
    return this.ctx.sink;
  }

  sub<T>(n: CstNode | undefined): T | undefined {
    return n === undefined ? undefined : (this.visit(n) as T);
  }

  build(cst: CstNode, context: BuildContext): Script {
    this.ctx = context;
    return this.visit(cst) as Script;
  }

  // ---- File ----------------------------------------------------------------------------------

  script(ctx: Ctx): Script {
    const options = toks(ctx, 'OptionLine').map(optionLine);
    const init = tok(ctx, 'initCommand');
    const cleanup = tok(ctx, 'cleanupCommand');
    const events = nodes(ctx, 'event')
      .map((e) => this.visit(e) as Event | undefined)
      .filter((e): e is Event => e !== undefined);
    const comments: Comment[] = this.ctx.comments.map((c) => ({ text: c.image, range: tokenRange(c) }));
    const range = ctxRange(ctx);
    if (nodes(ctx, 'event').length === 0) {
      this.sink.error('no-events', init ? tokenRange(init) : range, 'the script has no events');
    }
    const script: Script = { file: this.ctx.file, range, options, events, comments };
    if (init) script.initCommand = shell(init);
    if (cleanup) script.cleanupCommand = shell(cleanup);
    return script;
  }

  event(ctx: Ctx): Event | undefined {
    const timeNode = node(ctx, 'time')!;
    let time = this.visit(timeNode) as EventTime;
    let timeRange = nodeRange(timeNode);
    const blockingEnd = node(ctx, 'blockingEnd');
    if (blockingEnd) {
      const end = this.visit(blockingEnd) as TimePoint;
      timeRange = spanRanges(timeRange, nodeRange(blockingEnd));
      if (time.kind === 'point') time = { kind: 'blocking', start: { relative: time.relative, usecs: time.usecs }, end };
      else this.sink.error('time-form', timeRange, "a blocking time ('T...E') must start with a single time");
    }
    const action = this.sub<Action>(node(ctx, 'action'));
    if (!action) return undefined;
    // An expected path-manager event is timed like a packet the stack sends (§6.5).
    const outbound = (action.kind === 'packet' && action.direction === 'outbound') || action.kind === 'pmEvent';
    if (time.kind === 'any' && !outbound) {
      this.sink.error('any-time-not-outbound', timeRange, "'*' (any time) is only allowed on outbound packets");
    }
    if (time.kind === 'range' && !outbound) {
      this.sink.error('range-not-outbound', timeRange, 'a time range is only allowed on outbound packets');
    }
    if (time.kind === 'blocking' && action.kind !== 'syscall') {
      this.sink.error('blocking-not-syscall', timeRange, "a blocking time ('T...E') is only allowed on system calls");
    }
    return { time, timeRange, action, range: ctxRange(ctx) };
  }

  time(ctx: Ctx): EventTime {
    if (tok(ctx, 'Star')) return { kind: 'any' };
    const start = this.visit(node(ctx, 'start')!) as TimePoint;
    const endNode = node(ctx, 'end');
    if (!endNode) return { kind: 'point', ...start };
    return { kind: 'range', start, end: this.visit(endNode) as TimePoint };
  }

  timePoint(ctx: Ctx): TimePoint {
    const t = tok(ctx, 'Int') ?? tok(ctx, 'Float')!;
    return { relative: tok(ctx, 'Plus') !== undefined, usecs: secondsTextToUsecs(t.image) };
  }

  action(ctx: Ctx): Action | undefined {
    const cmd = tok(ctx, 'Backquoted');
    if (cmd) return shell(cmd);
    const code = tok(ctx, 'CodeBlock');
    if (code) return codeBlock(code);
    return this.sub<Action>(node(ctx, 'packet') ?? node(ctx, 'pmEvent') ?? node(ctx, 'syscall'));
  }

  // ---- System calls --------------------------------------------------------------------------

  syscall(ctx: Ctx): SyscallAction | undefined {
    const nameTok = tok(ctx, 'name')!;
    const argNodes = nodes(ctx, 'args');
    let args: Expr[] = [];
    let named: NamedArg[] | undefined;
    // A counter assertion's argument is a counter's name, not a constant (docs/language.md §6.3);
    // a path-manager command's are all named (§6.4).
    if (isCounterCall(nameTok.image)) args = argNodes.map((n) => counterArg(n, this.sink));
    else if (isPmCall(nameTok.image)) named = pmArgs(nameTok.image, argNodes, (n) => this.visit(n) as Expr, this.sink);
    else args = argNodes.map((n) => this.positionalArg(nameTok.image, n));
    const expectedReturn = this.visit(node(ctx, 'result')!) as Expr;
    if (!isSyscallName(nameTok.image)) {
      this.sink.error('unknown-syscall', tokenRange(nameTok), `unknown syscall '${nameTok.image}'`);
      return undefined;
    }
    const call: SyscallAction = {
      kind: 'syscall',
      name: nameTok.image,
      nameRange: tokenRange(nameTok),
      args,
      expectedReturn,
      range: ctxRange(ctx),
    };
    if (named) call.named = named;
    const errno = tok(ctx, 'errno');
    if (errno) {
      const value = errnoValue(errno.image);
      if (value === undefined) this.sink.error('unknown-errno', tokenRange(errno), `unknown errno '${errno.image}'`);
      else call.expectedErrno = { name: errno.image, value, range: tokenRange(errno) };
    }
    const note = node(ctx, 'note');
    if (note) call.note = this.visit(note) as string;
    return call;
  }

  /** An argument of a call other than a PM command: `name=` is not part of it. */
  private positionalArg(call: string, n: CstNode): Expr {
    const c = n.children as Ctx;
    const name = tok(c, 'name');
    if (name) this.sink.error('named-argument', tokenRange(name), `${call} takes its arguments in order; only path-manager commands (pm_*) take name=value`);
    return this.visit(node(c, 'value')!) as Expr;
  }

  pmEvent(ctx: Ctx): PmEventAction {
    const type = tok(ctx, 'type')!;
    const named = namedArgs(`event ${type.image}`, PM_EVENT_ATTRS, nodes(ctx, 'args'), (n) => this.visit(n) as Expr, this.sink);
    if (!isPmEventName(type.image)) {
      this.sink.error('unknown-event', tokenRange(type), `unknown path-manager event '${type.image}' (the events are ${Object.keys(PM_EVENT_TYPES).join(', ')})`);
    }
    return { kind: 'pmEvent', type: type.image, typeRange: tokenRange(type), named, range: ctxRange(ctx) };
  }

  callArg(ctx: Ctx): Expr {
    return this.visit(node(ctx, 'value')!) as Expr;
  }

  /** The note's text as written between its outer parentheses. */
  note(ctx: Ctx): string {
    const open = toks(ctx, 'LParen')[0]!;
    const close = toks(ctx, 'RParen').at(-1)!;
    return this.ctx.text.slice(open.startOffset + 1, close.startOffset).trim();
  }

  expr(ctx: Ctx): Expr {
    const terms = nodes(ctx, 'terms').map((n) => this.visit(n) as Expr);
    if (terms.length === 1) return terms[0]!;
    return { kind: 'or', terms, range: ctxRange(ctx) };
  }

  sumExpr(ctx: Ctx): Expr {
    const operands = nodes(ctx, 'operands').map((n) => this.visit(n) as Expr);
    const ops = toks(ctx, 'ops');
    let left = operands[0]!;
    ops.forEach((op, i) => {
      const right = operands[i + 1]!;
      left = { kind: 'binary', op: op.image as '+' | '-', left, right, range: spanRanges(left.range, right.range) };
    });
    return left;
  }

  primary(ctx: Ctx): Expr {
    const e = tok(ctx, 'Ellipsis');
    if (e) return { kind: 'ellipsis', range: tokenRange(e) };
    const i = tok(ctx, 'Int') ?? tok(ctx, 'Hex');
    if (i) return { kind: 'int', value: BigInt(i.image), hex: i.tokenType.name === 'Hex', range: tokenRange(i) };
    const sub = node(ctx, 'stringExpr') ?? node(ctx, 'wordExpr') ?? node(ctx, 'arrayExpr') ?? node(ctx, 'structExpr');
    return this.visit(sub!) as Expr;
  }

  stringExpr(ctx: Ctx): Expr {
    const value = toks(ctx, 'StringLit').map((t) => decodeString(t.image)).join('');
    return { kind: 'string', value, ellipsis: tok(ctx, 'Ellipsis') !== undefined, range: ctxRange(ctx) };
  }

  wordExpr(ctx: Ctx): Expr {
    const word = tok(ctx, 'Word')!;
    const range = ctxRange(ctx);
    if (tok(ctx, 'LParen')) {
      const call: CallExpr = { kind: 'call', fn: word.image, args: nodes(ctx, 'args').map((n) => this.visit(n) as Expr), range };
      return call;
    }
    const info = lookupSymbol(word.image);
    if (!info) {
      this.sink.error('unknown-constant', range, `unknown constant '${word.image}'`);
      return { kind: 'symbol', name: word.image, value: 0n, range };
    }
    return { kind: 'symbol', name: word.image, value: info.value, range };
  }

  arrayExpr(ctx: Ctx): ArrayExpr {
    return { kind: 'array', items: nodes(ctx, 'items').map((n) => this.visit(n) as Expr), range: ctxRange(ctx) };
  }

  structExpr(ctx: Ctx): StructExpr {
    return { kind: 'struct', fields: nodes(ctx, 'fields').map((n) => this.visit(n) as StructField), range: ctxRange(ctx) };
  }

  structField(ctx: Ctx): StructField {
    const field: StructField = { value: this.visit(node(ctx, 'value')!) as Expr, range: ctxRange(ctx) };
    const name = tok(ctx, 'name');
    if (name) field.name = name.image;
    const count = node(ctx, 'count');
    if (count) field.count = this.visit(count) as Expr;
    return field;
  }

  // ---- Packets (build-packet.ts) -------------------------------------------------------------

  packet(ctx: Ctx) { return P.packet(this, ctx); }
  encap(ctx: Ctx) { return P.encap(this, ctx); }
  encapPsp(ctx: Ctx) { return P.encapPsp(this, ctx); }
  ipInfo(ctx: Ctx) { return P.ipInfo(this, ctx); }
  ipInfoItem(ctx: Ctx) { return P.ipInfoItem(this, ctx); }
  tuple(ctx: Ctx) { return P.tuple(this, ctx); }
  endpoint(ctx: Ctx) { return P.endpoint(this, ctx); }
  tcpBody(ctx: Ctx) { return P.tcpBody(this, ctx); }
  tcpFlags(ctx: Ctx) { return P.tcpFlags(this, ctx); }
  seqRange(ctx: Ctx) { return P.seqRange(this, ctx); }
  tcpOptions(ctx: Ctx) { return P.tcpOptions(this, ctx); }
  tcpOption(ctx: Ctx) { return P.tcpOption(this, ctx); }
  sackBlock(ctx: Ctx) { return P.sackBlock(this, ctx); }
  cookie(ctx: Ctx) { return P.cookie(this, ctx); }
  intValue(ctx: Ctx) { return (tok(ctx, 'Int') ?? tok(ctx, 'Hex'))!; }
  udpBody(ctx: Ctx) { return P.udpBody(this, ctx); }
  icmpBody(ctx: Ctx) { return P.icmpBody(this, ctx); }
  icmpEchoed(ctx: Ctx) { return P.icmpEchoed(this, ctx); }
  badChecksum(_ctx: Ctx) { return true; }

  // ---- MPTCP options (build-mptcp.ts) --------------------------------------------------------

  mptcpOption(ctx: Ctx) { return this.visit(Object.values(ctx).flat()[0] as CstNode); }
  mpCapable(ctx: Ctx) { return M.mpCapable(this, ctx); }
  mptcpFlags(ctx: Ctx) { return M.mptcpFlags(this, ctx); }
  keyValue(ctx: Ctx) { return M.keyValue(this, ctx); }
  legacyMpCapable(ctx: Ctx) { return M.legacyMpCapable(this, ctx); }
  mpJoin(ctx: Ctx) { return M.mpJoin(this, ctx); }
  joinField(ctx: Ctx) { return M.joinField(this, ctx); }
  addressId(ctx: Ctx) { return M.addressId(this, ctx); }
  tokenValue(ctx: Ctx) { return M.tokenValue(this, ctx); }
  hmacValue(ctx: Ctx) { return M.hmacValue(this, ctx); }
  dss(ctx: Ctx) { return M.dss(this, ctx); }
  dssField(ctx: Ctx) { return M.dssField(this, ctx); }
  seqField(ctx: Ctx) { return M.seqField(this, ctx); }
  seqValue(ctx: Ctx) { return M.seqValue(this, ctx); }
  addAddress(ctx: Ctx) { return M.addAddress(this, ctx); }
  addressRef(ctx: Ctx) { return M.addressRef(this, ctx); }
  removeAddress(ctx: Ctx) { return M.removeAddress(this, ctx); }
  mpPrio(ctx: Ctx) { return M.mpPrio(this, ctx); }
  mpFail(ctx: Ctx) { return M.mpFail(this, ctx); }
  mpFastclose(ctx: Ctx) { return M.mpFastclose(this, ctx); }
  mpReset(ctx: Ctx) { return M.mpReset(this, ctx); }
}

function shell(t: IToken): ShellAction {
  return { kind: 'shell', command: t.image.slice(1, -1), range: tokenRange(t) };
}

function codeBlock(t: IToken): CodeAction {
  return { kind: 'code', code: t.image.slice(2, -2).replace(/^[ \t]+|[ \t]+$/g, ''), range: tokenRange(t) };
}

/** `--name=value`, `--name`, `-D NAME=VALUE` (→ name `define`). */
function optionLine(t: IToken): OptionLine {
  const range: SourceRange = tokenRange(t);
  const d = /^-D[ \t]*(.*)$/s.exec(t.image);
  if (d) return { name: 'define', value: d[1]!, range };
  const body = t.image.replace(/^--/, '');
  const eq = body.indexOf('=');
  return eq < 0 ? { name: body, range } : { name: body.slice(0, eq), value: body.slice(eq + 1), range };
}

/** The visitor of the process (validated once: a rule without a visit method fails here). */
export const scriptBuilder = new ScriptBuilder();
