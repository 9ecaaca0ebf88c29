// What the runner takes and gives back. `runScript` (run.ts) is the only entry point; a suite
// runner calls it once per script with its own target and options.

import type { SourceRange } from '../script/ast.js';
import type { NetworkConfig, SockAddr, Usecs } from '../targets/target.js';
import type { PacketPort } from './packet-port.js';

/** The script options the runner acts on, already resolved (script lines, then command line). */
export interface EngineSettings {
  net: NetworkConfig;
  bindPort: number;
  connectPort: number;
  /** `is_anyip`: `bind(..., ...)` binds the wildcard address instead of local_ip. */
  isAnyIp: boolean;
  toleranceUsecs: number;
  /** Percent of the gap to the previous event (google); 0 disables the relative term. */
  tolerancePercent: number;
  /** `non_fatal`: mismatches of these kinds warn instead of failing. */
  nonFatal: { packet: boolean; syscall: boolean };
  /** Interpreter for `%{ }%` blocks (`code_command`). */
  codeCommand: string;
  /** `init_scripts`: commands run with the shell, in order, before the script's init command. */
  initScripts: string[];
  /** Environment of shell commands and Python blocks: OPT_* variables, defines, MPTCPDRILL_TARGET, PACKETDRILL_PID. */
  shellEnv: Record<string, string>;
}

export interface RunOptions {
  settings: EngineSettings;
  /** The packet half of the engine for this run (one per script: it holds connection state). */
  packets: PacketPort;
  /** Multiplies every tolerance (`--tolerance-scale`, for slow machines). Default 1. */
  toleranceScale?: number;
  /** How long the stack may settle after the last event, in µs. Default 50 ms. */
  graceUs?: Usecs;
  /** Fail on any test packet the stack sends during the grace period (`--strict-tail`). */
  strictTail?: boolean;
  /** How long a `*` outbound line waits, and how long past its window a late packet is awaited. Default 5 s / 1 s. */
  anyTimeWaitUs?: Usecs;
  lateWaitUs?: Usecs;
  /** Per shell command limit. Default 180 s (the suites' per-script limit). */
  shellTimeoutMs?: number;
  /** Called for every trace entry as it happens (`-v`, `--pcap`). */
  onTrace?: (entry: TraceEntry) => void;
}

export type RunStatus = 'pass' | 'fail' | 'error' | 'skip';

export type FailureKind = 'packet' | 'timing' | 'syscall' | 'shell' | 'code' | 'unexpected-packet' | 'script' | 'target';

/** The first thing that went wrong, with everything a report needs to show it. */
export interface Failure {
  kind: FailureKind;
  /** Where in the script; absent for failures outside any line (target set-up). */
  range?: SourceRange;
  /** Text after `FILE:LINE:COL: `, in upstream's shape (`error handling packet: ...`). */
  message: string;
  /** The expected packet and the live one, as `.pkt` lines (packet failures). */
  expected?: string;
  actual?: string;
  /** Captured connection state (keys, ISNs, tokens...) from the packet engine. */
  state?: string[];
  /** Output of a failed shell command or Python block. */
  output?: string;
  /**
   * A timing failure the runner's own lateness may explain: how late (µs) it woke up or
   * injected at the failing event or the one its time counts from (a loaded machine).
   */
  testerLateUs?: number;
}

export interface RunResult {
  file: string;
  status: RunStatus;
  failure?: Failure;
  /** Skip reasons (status 'skip'). */
  skipReasons?: string[];
  /** Settings that could not take effect, non-fatal mismatches...: never silent. */
  warnings: string[];
  /** Script time at which the last event completed. */
  scriptEndUs: Usecs;
  /** Real time the run took (informational; measured by the caller's clock, not the target's). */
  wallMs: number;
  trace: TraceEntry[];
}

/** One thing that happened, in order, with the script time it happened at. */
export type TraceEntry =
  /** `due`: the script time the line asked `time` to be (a call's start); benchmarks compare the two. */
  | { kind: 'inbound'; time: Usecs; due?: Usecs; line: number; bytes: Uint8Array; text: string }
  | { kind: 'outbound'; time: Usecs; due?: Usecs; bytes: Uint8Array; text: string; /** line it matched, if any */ line?: number; testTraffic: boolean }
  | { kind: 'syscall'; time: Usecs; due?: Usecs; endTime?: Usecs; line: number; call: string; result: string; out?: TraceCallOutput }
  | { kind: 'shell'; time: Usecs; line?: number; command: string; code: number }
  | { kind: 'code'; time: Usecs; line: number; note: string }
  /** A path-manager event the target saw (§6.5), with the line it matched, if any; `attrs` as the target decoded them. */
  | { kind: 'event'; time: Usecs; due?: Usecs; line?: number; type: string; attrs: Record<string, number | string>; text: string }
  | { kind: 'note'; time: Usecs; text: string };

/**
 * A call's output as the trace keeps it: plain JSON (a kernel run hands its trace back on one
 * line), data reduced to its length and a hash, option values kept whole (as hex) with the
 * level and name they answer, so a differential run can decode the structs it compares.
 */
export type TraceCallOutput =
  | { kind: 'data'; len: number; sha: string; flags?: number; addr?: SockAddr; controlLen?: number }
  | { kind: 'addr'; addr: SockAddr }
  /** getsockopt (level, optname) or ioctl (request). */
  | { kind: 'opt'; level?: number; optname?: number; request?: number; optlen: number; value: string; buffers?: string[] }
  | { kind: 'poll'; revents: number[] }
  /** epoll data as decimal text (a u64). */
  | { kind: 'epoll'; events: Array<{ events: number; data: string }> }
  | { kind: 'fds'; fds: number[] };
