// Executes a checked script statement by statement on the target's clock (docs/language.md §5,
// §9, §10). Packets are built and judged by the packet port; this file owns time, the order of
// events, blocking calls, shell lines and Python blocks, and the end-of-run clean-up.
//
// Time is only ever read from `target.clock`, so the same code runs in real time against the
// kernel and in virtual time against the bundled stack.

import { dirname } from 'node:path';
import type { Event, PacketAction, PmEventAction, Script, ShellAction, SourceRange, SyscallAction } from '../script/ast.js';
import type { SyscallResult, Target, Usecs } from '../targets/target.js';
import { decodeIp } from '../wire/codec.js';
import type { IpPacket } from '../wire/packet.js';
import { Inbox, type Observed } from './inbox.js';
import { ScriptFailure, ScriptSkip } from './outcome.js';
import { lineRange, sourceText } from './source-text.js';
import { stateLines, type PacketPort } from './packet-port.js';
import { blockSource } from './python-source.js';
import { recordSocketInfo, runBlocks, type RecordedBlock } from './python-blocks.js';
import { applyFdEffects, compareResult } from './syscalls/compare.js';
import { CallError, tryInt } from './syscalls/expr.js';
import { FdTable } from './syscalls/fd-table.js';
import { lowerCall, type LoweredCall } from './syscalls/lower.js';
import { traceOutput } from './trace-output.js';
import { CounterBook, counterMismatch, countersIn } from './counters.js';
import { isCounterCall } from '../script/build-syscalls.js';
import { isPmCall } from '../script/pm-commands.js';
import { pmEventText, type PmRequest } from '../targets/pm.js';
import { eventMismatch } from './pm-events.js';
import { lowerPm } from './pm.js';
import { rangeTimingError, sec, Timeline, timingError, type Due } from './timeline.js';
import type { EngineSettings, Failure, RunOptions, TraceCallOutput, TraceEntry } from './types.js';

const DEFAULT_GRACE_US = 50_000;
const DEFAULT_ANY_WAIT_US = 5_000_000;
const DEFAULT_LATE_WAIT_US = 1_000_000;
const DEFAULT_SHELL_TIMEOUT_MS = 180_000;
/** How long a call that is not asleep in the kernel is waited for past its tolerance (a loaded machine). */
const CALL_SCHEDULING_WAIT_US = 10_000_000;
/** Below this much lateness of its own the runner never blames itself for a timing failure. */
const TESTER_LATE_MIN_US = 1000;

/** A `T...E` call started and left running while later events proceed. */
interface PendingCall {
  event: Event;
  action: SyscallAction;
  call: LoweredCall;
  issuedAt: Usecs;
  /** Script time the call was due to start at (`T` of `T...E`) and to return at (`E`). */
  dueStart: Usecs;
  dueEnd: Usecs;
  tolerance: Usecs;
  outcome?: { result: SyscallResult; at: Usecs } | { error: unknown; at: Usecs };
  promise: Promise<void>;
}

export class Runner {
  readonly trace: TraceEntry[] = [];
  readonly warnings: string[] = [];
  private readonly timeline: Timeline;
  private readonly fds = new FdTable();
  private readonly settings: EngineSettings;
  private readonly packets: PacketPort;
  private readonly inbox: Inbox;
  private readonly pending: PendingCall[] = [];
  private readonly blocks: RecordedBlock[] = [];
  /** Script fd the script last worked with: Python blocks read its TCP_INFO. */
  private currentFd: number | undefined;
  private lastActual: Usecs = 0;
  /** How late the runner was (woke up, injected) at the current event and at the one before, µs. */
  private late = { current: 0, previous: 0 };
  /** Baselines of the counters the script asserts (none when it asserts none). */
  private counters: CounterBook | undefined;

  constructor(
    private readonly script: Script,
    private readonly text: string,
    private readonly target: Target,
    private readonly opts: RunOptions,
  ) {
    this.settings = opts.settings;
    this.packets = opts.packets;
    this.inbox = new Inbox(target, this.packets, (e) => this.record(e), (live) => this.safeActual(live));
    this.timeline = new Timeline({
      toleranceUsecs: this.settings.toleranceUsecs,
      tolerancePercent: this.settings.tolerancePercent,
      scale: opts.toleranceScale ?? 1,
    });
  }

  get clock() {
    return this.target.clock;
  }

  get endTime(): Usecs {
    return this.lastActual;
  }

  /** Runs the `--init_scripts` commands and the init command (untimed), then starts the clock. */
  async init(): Promise<void> {
    if (this.settings.initScripts.length > 0) {
      // Shown at the option's line when the script sets it, else at the script's first line.
      const line = this.script.options.filter((o) => o.name === 'init_scripts').at(-1);
      const range = line?.range ?? lineRange(this.text, 1);
      for (const command of this.settings.initScripts) await this.runShell({ kind: 'shell', command, range }, undefined, 'init script');
    }
    if (this.script.initCommand) await this.runShell(this.script.initCommand, undefined);
    if (this.script.events.some((e) => e.action.kind === 'pmEvent')) {
      const first = this.script.events.find((e) => e.action.kind === 'pmEvent')!;
      if (!this.target.subscribePmEvents || !this.target.nextPmEvent) throw new ScriptSkip([`${this.where(first.range)}: the ${this.target.name} target does not report path-manager events.`]);
      this.target.subscribePmEvents();
    }
    const counters = countersIn(this.script);
    if (counters.length > 0) this.counters = CounterBook.start(this.target, counters, (name) => this.where(this.counterLine(name)));
    this.clock.start();
  }

  async runEvents(): Promise<void> {
    for (const event of this.script.events) {
      await this.checkPending(false);
      await this.runEvent(event);
    }
    await this.checkPending(true);
    this.lastActual = Math.max(this.lastActual, this.clock.now());
    await this.settle();
  }

  /** Runs the Python blocks recorded during the run, with the shell lines' environment. */
  async runPython(): Promise<void> {
    if (this.blocks.length === 0) return;
    const outcome = await runBlocks(this.blocks, this.settings.codeCommand, dirname(this.script.file), { env: this.settings.shellEnv });
    if (outcome.ok) return;
    const where = `${this.script.file}:${outcome.line ?? '?'}`;
    const range = outcome.line !== undefined ? lineRange(this.text, outcome.line) : undefined;
    if (outcome.kind === 'assert') {
      throw new ScriptFailure({ kind: 'code', range, message: `assertion failed at ${where}: ${outcome.message}`, output: outcome.output });
    }
    if (outcome.kind === 'exception') {
      throw new ScriptFailure({ kind: 'code', range, message: `Python block failed at ${where}: ${outcome.message}`, output: outcome.output });
    }
    if (outcome.kind === 'syntax') {
      throw new ScriptFailure({ kind: 'script', range, message: `error in Python block at ${where}: ${outcome.message}`, output: outcome.output });
    }
    throw new ScriptFailure({ kind: 'script', message: `cannot run the Python blocks: ${outcome.message}`, output: outcome.output });
  }

  /** End of run, pass or fail: reset open connections, so nothing keeps retransmitting. */
  async injectResets(): Promise<void> {
    for (const r of this.packets.cleanupResets()) {
      const bytes = r instanceof Uint8Array ? r : r.bytes;
      await this.target.inject(bytes);
      this.record({ kind: 'inbound', time: this.clock.now(), line: 0, bytes, text: this.describePacket(bytes) });
    }
  }

  async runCleanup(): Promise<void> {
    if (this.script.cleanupCommand) await this.runShell(this.script.cleanupCommand, undefined);
  }

  /** Packets seen but never matched by a line: shown in failure reports. */
  unmatched(): string[] {
    return this.inbox.unmatched();
  }

  connectionState(): string[] {
    try {
      return stateLines(this.packets);
    } catch {
      return [];
    }
  }

  // ---- events -------------------------------------------------------------------------------

  private async runEvent(event: Event): Promise<void> {
    this.late = { current: 0, previous: this.late.current };
    const a = event.action;
    switch (a.kind) {
      case 'packet':
        if (a.direction === 'inbound') await this.inbound(event, a);
        else await this.outbound(event, a);
        return;
      case 'syscall':
        await this.syscall(event, a);
        return;
      case 'pmEvent':
        await this.pmEvent(event, a);
        return;
      case 'shell': {
        const t = await this.startAt(event, 'shell command');
        await this.runShell(a, event);
        this.complete(t, this.clock.now(), false);
        return;
      }
      case 'code': {
        const t = await this.startAt(event, 'Python block');
        const info = this.currentFd === undefined ? undefined : this.fds.info(this.currentFd);
        const values = await recordSocketInfo(this.target, info?.target, info?.mptcp ?? false);
        this.blocks.push({ ...blockSource(this.text, a), values });
        this.record({ kind: 'code', time: this.clock.now(), line: event.range.start.line, note: `recorded ${Object.keys(values).length} values` });
        this.complete(t, this.clock.now(), false);
        return;
      }
    }
  }

  /** Waits for a point-timed event and fails when the runner could only start it late. */
  private async startAt(event: Event, what: string): Promise<Usecs> {
    const due = this.timeline.due(event.time, event.action.kind === 'packet' && event.action.direction === 'inbound');
    const at = due.kind === 'point' ? due.at : due.kind === 'blocking' ? due.start : this.clock.now();
    await this.clock.sleepUntil(at);
    const now = this.clock.now();
    const tol = this.timeline.tolerance(at);
    this.noteLate(now - Math.max(at, this.lastActual));
    if (now - at > tol) this.failTiming(event.timeRange, timingError(what, at, now, tol), now - at - tol);
    return at;
  }

  private complete(scriptTime: Usecs, actual: Usecs, anchored: boolean): void {
    this.timeline.complete(scriptTime, actual, anchored);
    this.lastActual = actual;
  }

  private async inbound(event: Event, action: PacketAction): Promise<void> {
    if (this.target.injectAt) return this.inboundAhead(event, action, this.target.injectAt.bind(this.target));
    const t = await this.startAt(event, 'inbound packet');
    await this.inbox.drain();
    const now = this.clock.now();
    const built = this.packets.buildInbound(action, now);
    if (!built.ok) this.fail('packet', built.range ?? action.range, `error handling packet: ${built.message}`, { expected: this.safeExpected(action) });
    await this.target.inject(built.bytes);
    this.record({ kind: 'inbound', time: now, due: t, line: event.range.start.line, bytes: built.bytes, text: this.safeActual(built.packet) });
    this.complete(t, now, true);
  }

  /**
   * An inbound packet on a target that injects at a given time on its own: built at once (its
   * bytes do not depend on when it is built, only on the lines before it) and handed over ahead
   * of its time, so that how late this thread wakes up does not move it.
   */
  private async inboundAhead(event: Event, action: PacketAction, injectAt: (bytes: Uint8Array, at: Usecs) => Promise<Usecs>): Promise<void> {
    const due = this.timeline.due(event.time, true);
    const at = due.kind === 'point' ? due.at : due.kind === 'blocking' ? due.start : this.clock.now();
    await this.inbox.drain();
    const built = this.packets.buildInbound(action, at);
    if (!built.ok) this.fail('packet', built.range ?? action.range, `error handling packet: ${built.message}`, { expected: this.safeExpected(action) });
    const actual = await injectAt(built.bytes, at);
    // What the stack sent before the packet went in is traced before it.
    await this.inbox.drainBefore(actual);
    this.record({ kind: 'inbound', time: actual, due: at, line: event.range.start.line, bytes: built.bytes, text: this.safeActual(built.packet) });
    const tol = this.timeline.tolerance(at);
    this.noteLate(actual - Math.max(at, this.lastActual));
    if (actual - at > tol) this.failTiming(event.timeRange, timingError('inbound packet', at, actual, tol), actual - at - tol);
    this.complete(at, actual, true);
  }

  private async outbound(event: Event, action: PacketAction): Promise<void> {
    const due = this.timeline.due(event.time, false);
    const now = this.clock.now();
    const window = dueWindow(due);
    const tol = window ? this.timeline.tolerance(window.end) : 0;
    const deadline = window ? window.end + tol + (this.opts.lateWaitUs ?? DEFAULT_LATE_WAIT_US) : now + (this.opts.anyTimeWaitUs ?? DEFAULT_ANY_WAIT_US);
    let first: Observed | undefined;
    for (;;) {
      const o = await this.inbox.next(deadline);
      if (!o) {
        const when = window ? (window.start === window.end ? `at ${sec(window.start)} sec` : `between ${sec(window.start)} and ${sec(window.end)} sec`) : 'at any time';
        const what = first ? 'the rest of the outbound packet' : 'outbound packet';
        this.fail('packet', event.range, `error handling packet: timed out waiting for ${what} expected ${when} (waited until ${sec(deadline)} sec)`, {
          expected: this.safeExpected(action),
        });
      }
      if (!o.entry.testTraffic) continue;
      const m = this.packets.matchOutbound(action, o.live, o.sent.time);
      o.entry.line = event.range.start.line;
      if (window && !first) o.entry.due = window.start;
      if (m.status === 'mismatch') {
        const message = `error handling packet: ${m.message ?? 'live packet differs from the script'}`;
        if (this.settings.nonFatal.packet) {
          this.warn(`${this.where(event.range)}: ${message} (non_fatal=packet)`);
          break;
        }
        this.fail('packet', action.range, message, { expected: this.safeExpected(action), actual: o.entry.text });
      }
      if (!first) {
        first = o;
        if (window && (o.sent.time < window.start - tol || o.sent.time > window.end + tol)) {
          const msg = window.start === window.end
            ? timingError('outbound packet', window.start, o.sent.time, tol)
            : rangeTimingError('outbound packet', window.start, window.end, o.sent.time, tol);
          const miss = o.sent.time < window.start - tol ? window.start - tol - o.sent.time : o.sent.time - window.end - tol;
          this.failTiming(event.timeRange, msg, miss, { expected: this.safeExpected(action), actual: o.entry.text });
        }
      }
      if (m.status === 'match') break;
    }
    const actual = first?.sent.time ?? this.clock.now();
    this.complete(due.kind === 'point' ? due.at : actual, actual, false);
  }

  private async syscall(event: Event, action: SyscallAction): Promise<void> {
    const due = this.timeline.due(event.time, false);
    const start = await this.startAt(event, 'system call start');
    // packetdrill runs one system call at a time: a call waits for an earlier blocking call to
    // return (its result may be the fd this one uses), as upstream's await_idle_thread does.
    if (this.pending.length > 0) await this.checkPending(true);
    const name = action.name;
    if (name === 'psp_rx_assoc' || name === 'psp_tx_assoc') throw new ScriptSkip([`${this.where(action.range)}: ${name} (PSP) is not supported.`]);
    if (isCounterCall(name)) {
      this.judgeCounter(event, action, start);
      return;
    }
    if (isPmCall(name)) {
      this.pmCommand(event, action, start);
      return;
    }
    if (name === 'cap_set') {
      this.warn(`${this.where(action.range)}: cap_set is accepted but not performed (the runner keeps its capabilities).`);
      this.complete(start, this.clock.now(), false);
      return;
    }
    let call: LoweredCall;
    try {
      call = lowerCall(action, { fds: this.fds, settings: this.settings });
    } catch (err) {
      if (err instanceof CallError) this.fail('syscall', err.range ?? action.range, `runtime error in ${name} call: ${err.message}`);
      throw err;
    }
    this.noteSocket(call.scriptFd);
    const issuedAt = this.clock.now();
    const promise = this.target.syscall(call.request);

    if (due.kind === 'blocking') {
      const p: PendingCall = { event, action, call, issuedAt, dueStart: start, dueEnd: due.end, tolerance: this.timeline.tolerance(due.end), promise: Promise.resolve() };
      p.promise = promise.then(
        (result) => { p.outcome = { result, at: result.endedAt ?? this.clock.now() }; },
        (error: unknown) => { p.outcome = { error, at: this.clock.now() }; },
      );
      this.pending.push(p);
      this.complete(start, issuedAt, false);
      return;
    }

    const tol = this.timeline.tolerance(start);
    let settled = await this.settleWithin(promise, start + tol);
    // On a target that runs calls on other threads, a call blocked only if it is asleep in the
    // kernel: one whose thread has not run yet, or whose result is on its way (a loaded machine),
    // is waited for, and judged by how long it really took.
    // Asleep at three looks a millisecond apart: a thread may sleep a moment inside a call that
    // does not block (waiting for the socket's lock).
    const giveUp = start + tol + CALL_SCHEDULING_WAIT_US;
    for (let asleep = 0; !settled && this.target.callBlocked && asleep < 3 && this.clock.now() < giveUp;) {
      asleep = this.target.callBlocked(call.request) ? asleep + 1 : 0;
      settled = await this.settleWithin(promise, this.clock.now() + 1000);
    }
    const r = settled ? await promise : undefined;
    const took = r?.startedAt !== undefined && r.endedAt !== undefined ? r.endedAt - r.startedAt : 0;
    if (!settled || took > tol) {
      this.fail('syscall', event.range, `runtime error in ${name} call: the call blocked, but the line expects it to return at once ` +
        `(still running at ${sec(this.clock.now())} sec; tolerance ${sec(tol)} sec); write it as a blocking call, e.g. "+0...0.1 ${name}(...)"`);
    }
    const result = await promise;
    const end = result.endedAt ?? this.clock.now();
    this.judgeCall(event, action, call, result, issuedAt, end, start);
    this.complete(start, end, false);
  }

  /** A counter assertion (docs/language.md §6.3): read at its time, compared at once. */
  private judgeCounter(event: Event, action: SyscallAction, start: Usecs): void {
    const arg = action.args[0]!;
    const name = arg.kind === 'symbol' ? arg.name : '';
    const reading = this.counters?.read(action, name, event.range.start.line);
    if (!reading) this.fail('syscall', arg.range, `runtime error in ${action.name} call: the ${this.target.name} target has no MIB counter ${name}`);
    this.record({ kind: 'syscall', time: start, line: event.range.start.line, call: sourceText(this.text, action.range), result: String(reading.grew) });
    const expected = tryInt(action.expectedReturn);
    if (action.expectedReturn.kind !== 'ellipsis' && expected !== reading.grew) {
      const message = `runtime error in ${action.name} call: ${counterMismatch(reading, expected ?? 0n)}`;
      if (!this.settings.nonFatal.syscall) this.fail('syscall', action.range, message);
      this.warn(`${this.where(action.range)}: ${message} (non_fatal=syscall)`);
    }
    this.complete(start, this.clock.now(), false);
  }

  /**
   * A path-manager command (docs/language.md §6.4): performed at its time, at once (the target
   * answers a netlink request without sleeping), its result judged like a syscall's.
   */
  private pmCommand(event: Event, action: SyscallAction, start: Usecs): void {
    if (!this.target.pmCommand) throw new ScriptSkip([`${this.where(action.range)}: the ${this.target.name} target has no path manager to command (${action.name}).`]);
    let req: PmRequest;
    try {
      req = lowerPm(action, this.fds, this.packets.subflowLocalPort?.bind(this.packets), (name, alg) => this.packets.keyToken?.(name, alg));
    } catch (err) {
      if (err instanceof CallError) this.fail('syscall', err.range ?? action.range, `runtime error in ${action.name} call: ${err.message}`);
      throw err;
    }
    if (req.remote?.address !== undefined) this.packets.noteScriptAddress?.(req.remote.address);
    const result = this.target.pmCommand(req);
    const end = this.clock.now();
    this.record({ kind: 'syscall', time: start, endTime: end, line: event.range.start.line, call: sourceText(this.text, action.range), result: resultText(result) });
    const mismatch = compareResult(action, { checks: [] }, result);
    if (mismatch) {
      const message = `runtime error in ${action.name} call: ${mismatch}`;
      if (!this.settings.nonFatal.syscall) this.fail('syscall', action.range, message);
      this.warn(`${this.where(action.range)}: ${message} (non_fatal=syscall)`);
    }
    this.complete(start, end, false);
  }

  /**
   * An expected path-manager event (docs/language.md §6.5): the next one the target saw, judged
   * like an outbound packet — its time in the line's window, its type and the attributes written.
   */
  private async pmEvent(event: Event, action: PmEventAction): Promise<void> {
    const due = this.timeline.due(event.time, false);
    const window = dueWindow(due);
    const tol = window ? this.timeline.tolerance(window.end) : 0;
    const deadline = window ? window.end + tol + (this.opts.lateWaitUs ?? DEFAULT_LATE_WAIT_US) : this.clock.now() + (this.opts.anyTimeWaitUs ?? DEFAULT_ANY_WAIT_US);
    const expected = sourceText(this.text, action.range);
    const live = await this.target.nextPmEvent!(deadline);
    if (!live) {
      const when = window ? (window.start === window.end ? `at ${sec(window.start)} sec` : `between ${sec(window.start)} and ${sec(window.end)} sec`) : 'at any time';
      this.fail('packet', event.range, `error handling event: timed out waiting for event ${action.type} expected ${when} (waited until ${sec(deadline)} sec)`, { expected });
    }
    const text = pmEventText(live);
    this.record({ kind: 'event', time: live.time, ...(window ? { due: window.start } : {}), line: event.range.start.line, type: live.type, attrs: live.attrs, text });
    let mismatch: string | undefined;
    try {
      mismatch = eventMismatch(action, live, {
        connToken: (fd, range) => { const t = this.fds.toTarget(fd, range, false); return this.target.connectionToken?.(t); },
        keyToken: (name, alg) => this.packets.keyToken?.(name, alg),
      });
    } catch (err) {
      if (err instanceof CallError) this.fail('packet', err.range ?? action.range, `error handling event: ${err.message}`);
      throw err;
    }
    if (mismatch) this.fail('packet', action.range, `error handling event: ${mismatch}`, { expected, actual: `event ${text}` });
    if (window && (live.time < window.start - tol || live.time > window.end + tol)) {
      const msg = window.start === window.end ? timingError('path-manager event', window.start, live.time, tol) : rangeTimingError('path-manager event', window.start, window.end, live.time, tol);
      const miss = live.time < window.start - tol ? window.start - tol - live.time : live.time - window.end - tol;
      this.failTiming(event.timeRange, msg, miss, { expected, actual: `event ${text}` });
    }
    this.complete(due.kind === 'point' ? due.at : live.time, live.time, false);
  }

  /** Events the target saw that no line expected (after the last line): traced; strict tail fails on them. */
  private async unexpectedEvents(): Promise<void> {
    if (!this.target.nextPmEvent || !this.script.events.some((e) => e.action.kind === 'pmEvent')) return;
    for (let e = await this.target.nextPmEvent(this.clock.now()); e; e = await this.target.nextPmEvent(this.clock.now())) {
      const text = pmEventText(e);
      this.record({ kind: 'event', time: e.time, type: e.type, attrs: e.attrs, text });
      if (this.opts.strictTail) this.fail('unexpected-packet', undefined, `error handling event: unexpected event after the last line: ${text}`, { actual: `event ${text}` });
    }
  }

  /** The range of the first assertion of counter `name` (where a skip about it points). */
  private counterLine(name: string): SourceRange {
    const e = this.script.events.find((ev) => ev.action.kind === 'syscall' && isCounterCall(ev.action.name) && ev.action.args[0]?.kind === 'symbol' && ev.action.args[0].name === name);
    return e?.range ?? lineRange(this.text, 1);
  }

  /** True when `promise` settles before script time `deadline` (a blocked call does not). */
  private async settleWithin(promise: Promise<unknown>, deadline: Usecs): Promise<boolean> {
    let done = false;
    const flag = promise.then(() => { done = true; }, () => { done = true; });
    // A call that completes at once settles within one turn, without moving a virtual clock.
    await new Promise<void>((r) => setImmediate(r));
    if (!done) await Promise.race([flag, this.clock.sleepUntil(deadline)]);
    // Woken at the deadline: a result already waiting in the event loop is taken first.
    if (!done) await new Promise<void>((r) => setImmediate(r));
    return done;
  }

  private judgeCall(event: Event, action: SyscallAction, call: LoweredCall, result: SyscallResult, start: Usecs, end: Usecs, due?: Usecs): void {
    const text = sourceText(this.text, action.range);
    this.record({ kind: 'syscall', time: start, due, endTime: end, line: event.range.start.line, call: text, result: resultText(result), ...callOut(call, result) });
    const mismatch = compareResult(action, call, result);
    if (mismatch) {
      const message = `runtime error in ${action.name} call: ${mismatch}`;
      if (!this.settings.nonFatal.syscall) this.fail('syscall', action.range, message);
      this.warn(`${this.where(action.range)}: ${message} (non_fatal=syscall)`);
    }
    try {
      applyFdEffects(action, call, result, this.fds);
    } catch (err) {
      if (err instanceof CallError) this.fail('syscall', err.range ?? action.range, `runtime error in ${action.name} call: ${err.message}`);
      throw err;
    }
    if (call.creates?.kind === 'ret' && result.ret >= 0) this.noteSocket(Number(tryInt(action.expectedReturn) ?? -1));
  }

  /** The socket the script works with now: Python blocks read its TCP_INFO. */
  private noteSocket(scriptFd: number | undefined): void {
    if (scriptFd !== undefined && this.fds.info(scriptFd)?.kind === 'socket') this.currentFd = scriptFd;
  }

  /** Judges blocking calls that returned; with `final`, waits for the rest until their due time. */
  private async checkPending(final: boolean): Promise<void> {
    while (this.pending.length > 0) {
      const p = this.pending[0]!;
      // Waiting past the window lets a late return be reported with the time it really came.
      const lateWait = this.opts.lateWaitUs ?? DEFAULT_LATE_WAIT_US;
      if (!p.outcome && final) await Promise.race([p.promise, this.clock.sleepUntil(p.dueEnd + p.tolerance + lateWait)]);
      if (!p.outcome) {
        if (!final) return;
        this.failTiming(p.event.timeRange,
          `timing error: expected system call return at ${sec(p.dueEnd)} sec but it had not returned at ${sec(this.clock.now())} sec; tolerance ${sec(p.tolerance)} sec`,
          this.clock.now() - p.dueEnd - p.tolerance);
      }
      this.pending.shift();
      const o = p.outcome!;
      if ('error' in o) throw o.error;
      if (Math.abs(o.at - p.dueEnd) > p.tolerance) {
        this.record({ kind: 'syscall', time: p.issuedAt, endTime: o.at, due: p.dueStart, line: p.event.range.start.line, call: sourceText(this.text, p.action.range), result: resultText(o.result), ...callOut(p.call, o.result) });
        this.failTiming(p.event.timeRange, timingError('system call return', p.dueEnd, o.at, p.tolerance), Math.abs(o.at - p.dueEnd) - p.tolerance);
      }
      this.judgeCall(p.event, p.action, p.call, o.result, p.issuedAt, o.at, p.dueStart);
    }
  }

  // ---- shell ----------------------------------------------------------------------------------

  private async runShell(action: ShellAction, event: Event | undefined, what = 'command'): Promise<void> {
    const res = await this.target.shell(action.command, {
      cwd: dirname(this.script.file),
      env: this.settings.shellEnv,
      timeoutMs: this.opts.shellTimeoutMs ?? DEFAULT_SHELL_TIMEOUT_MS,
    });
    const at = event ? this.clock.now() : 0;
    this.record({ kind: 'shell', time: at, line: action.range.start.line, command: action.command, code: res.code });
    for (const n of res.notes ?? []) this.record({ kind: 'note', time: at, text: `line ${action.range.start.line}: ${n}` });
    for (const w of res.warnings ?? []) this.warn(`${this.where(action.range)}: ${w}`);
    if (res.unsupported && res.unsupported.length > 0) throw new ScriptSkip(res.unsupported.map((u) => `${this.where(action.range)}: ${u}`));
    if (res.code !== 0) {
      const output = [res.stdout, res.stderr].filter((s) => s.trim() !== '').join('\n').trimEnd();
      this.fail('shell', action.range, `error executing \`${action.command}\` ${what}: non-zero status ${res.code}`, { output });
    }
  }

  /** After the last event: let the stack settle; with strict tail, any test packet fails. */
  private async settle(): Promise<void> {
    const deadline = this.clock.now() + (this.opts.graceUs ?? DEFAULT_GRACE_US);
    for (;;) {
      const o = await this.inbox.next(deadline);
      if (!o) break;
      if (o.entry.testTraffic && this.opts.strictTail) {
        this.fail('unexpected-packet', undefined, `error handling packet: unexpected packet after the last event: ${o.entry.text}`, { actual: o.entry.text });
      }
    }
    await this.clock.sleepUntil(deadline);
    await this.unexpectedEvents();
  }

  // ---- helpers --------------------------------------------------------------------------------

  private record(entry: TraceEntry): void {
    this.trace.push(entry);
    this.opts.onTrace?.(entry);
  }

  private warn(text: string): void {
    this.warnings.push(text);
  }

  private where(range: SourceRange): string {
    return `${this.script.file}:${range.start.line}`;
  }

  /**
   * The runner was `us` late starting or injecting the current event (on a real clock), counted
   * from its time or, when the event before ended later (a long shell command), from that end:
   * what the script itself took is not the tester's lateness.
   */
  private noteLate(us: Usecs): void {
    if (us > this.late.current) this.late.current = us;
  }

  /**
   * A timing failure; when the runner itself was late at this event or the one before (the
   * event the failing time counts from), by enough to explain at least half of `missUs` (how
   * far outside its window the event happened), the failure says so (testerLateUs).
   */
  private failTiming(range: SourceRange | undefined, message: string, missUs: Usecs, extra: Partial<Failure> = {}): never {
    const late = Math.max(this.late.current, this.late.previous);
    const testerLateUs = late >= TESTER_LATE_MIN_US && late * 2 >= missUs ? Math.round(late) : undefined;
    this.fail('timing', range, message, { ...extra, ...(testerLateUs !== undefined ? { testerLateUs } : {}) });
  }

  private fail(kind: Failure['kind'], range: SourceRange | undefined, message: string, extra: Partial<Failure> = {}): never {
    throw new ScriptFailure({ kind, range, message, ...extra });
  }

  private safeExpected(action: PacketAction): string | undefined {
    try {
      return this.packets.renderExpected(action);
    } catch {
      return sourceText(this.text, action.range);
    }
  }

  private safeActual(live: IpPacket): string {
    try {
      return this.packets.renderActual(live);
    } catch {
      return `(${live.errors.join('; ') || 'packet that cannot be printed'})`;
    }
  }

  private describePacket(bytes: Uint8Array): string {
    return this.safeActual(decodeIp(bytes));
  }
}

/** The window an outbound line accepts; undefined for `*`. */
function dueWindow(due: Due): { start: Usecs; end: Usecs } | undefined {
  switch (due.kind) {
    case 'point': return { start: due.at, end: due.at };
    case 'range': return { start: due.start, end: due.end };
    case 'blocking': return { start: due.start, end: due.end };
    case 'any': return undefined;
  }
}

/** The trace entry's `out`, when the call gave an output. */
function callOut(call: LoweredCall, r: SyscallResult): { out?: TraceCallOutput } {
  const out = traceOutput(call.request, r);
  return out ? { out } : {};
}

function resultText(r: { ret: number; errno?: string }): string {
  return r.ret === -1 && r.errno ? `-1 ${r.errno}` : `${r.ret}`;
}
