// The shell stand-ins of scripts/stack-bin/ in TypeScript, for the ts target's in-process shell
// (src/shell/, src/targets/ts-shell-host.ts): a `sysctl` call run here costs no process. Each function mirrors its
// bash executable line for line — same stdout, stderr, exit status, log lines and sysctl state
// file — and test/stack-stand-ins.test.ts runs both forms on the same arguments and compares.
// Change the two together.
import { parseCInteger } from '../sys/c-integer.js';

/** The files the ts target writes into $MPTCPDRILL_STACK_STATE before a command. */
export interface StandInFiles {
  /** "key=value" lines; the sysctl stand-in appends a line for each write (the last one wins). */
  sysctl: SysctlFile;
  endpoints: string;
  limits: string;
  addrs: string;
  /** What the stand-ins recorded for the ts target to apply (src/stack/shell.ts). */
  log: string;
}

export interface StandInOutput {
  stdout: string;
  stderr: string;
  code: number;
}

/** Stand-ins with a behaviour of their own; every other file in stack-bin links to not-emulated. */
const EMULATED = ['sysctl', 'ip', 'tc', 'ethtool'] as const;

/** The names scripts/stack-bin links to `not-emulated` (a test keeps this list and the folder equal). */
export const NOT_EMULATED: readonly string[] = [
  'bridge', 'ip6tables', 'iptables', 'modprobe', 'mptcpize', 'netstat', 'nft', 'not-emulated', 'nstat', 'ping', 'ping6', 'ss', 'tcpdump',
];

const STAND_INS = new Set<string>([...EMULATED, ...NOT_EMULATED]);

export function isStandIn(name: string): boolean {
  return STAND_INS.has(name);
}

/** Runs the stand-in `name` (a name from isStandIn) with `args`; updates `files` as the executable would. */
export function runStandIn(name: string, args: readonly string[], files: StandInFiles): StandInOutput {
  switch (name) {
    case 'sysctl': return sysctl(args, files);
    case 'ip': return ip(args, files);
    case 'tc':
    case 'ethtool':
      files.log += `${[name, ...args].join('\t')}\n`;
      return { stdout: '', stderr: '', code: 0 };
    default:
      files.log += `unsupported\t${name} ${args.join(' ')} is not emulated by the TypeScript stack\n`;
      return { stdout: '', stderr: '', code: 0 };
  }
}

/** The lines `while IFS= read -r line` yields: every complete line (a last line without "\n" is dropped). */
function readLines(text: string): string[] {
  const lines = text.split('\n');
  lines.pop();
  return lines;
}

/** The base of a sysctl state file: the stack's table, read by key and dumped only when a file is needed. */
export interface SysctlSource {
  get(key: string): string | undefined;
  dump(): string;
}

/**
 * The sysctl state file: "key=value" lines, the last line of a key wins (as the executable's
 * `while read` loop sees them). Kept as its base (the stack's table, or the text an executable
 * left) plus the lines appended since, so that a setup script's twenty writes neither copy nor
 * rescan the whole table, and a line run in-process never dumps it at all.
 */
export class SysctlFile {
  private readonly appended: string[] = [];
  private readonly recent = new Map<string, string>();
  private readonly base: SysctlSource;

  constructor(base: string | SysctlSource) {
    this.base = typeof base === 'string' ? textSource(base) : base;
  }

  get(key: string): string | undefined {
    return this.recent.get(key) ?? this.base.get(key);
  }

  append(key: string, value: string): void {
    this.appended.push(`${key}=${value}\n`);
    // Only what `read` sees as a complete line counts (a value holding "\n" ends it there).
    const lines = readLines(`${key}=${value}\n`);
    for (const line of lines) this.recent.set(beforeEq(line), afterEq(line));
  }

  /** The file as the executable stand-ins read and write it. */
  text(): string {
    return this.base.dump() + this.appended.join('');
  }
}

/** A base given as the file's text, indexed on first lookup. */
function textSource(text: string): SysctlSource {
  let index: Map<string, string> | undefined;
  return {
    get(key) {
      if (!index) {
        index = new Map();
        for (const line of readLines(text)) index.set(beforeEq(line), afterEq(line));
      }
      return index.get(key);
    },
    dump: () => text,
  };
}

/** What /proc/sys reads back after a write: numbers (C syntax) in decimal, tab-separated; other text as written. */
function stored(value: string): string {
  // As bash's `read -ra` in the executable: the words of the first line.
  const words = value.split('\n')[0]!.split(/[ \t]+/).filter(Boolean);
  if (words.length === 0) return value;
  const out: string[] = [];
  for (const w of words) {
    const v = parseCInteger(w);
    if (v === undefined) return value;
    out.push(String(BigInt.asIntN(64, v)));
  }
  return out.join('\t');
}

/** bash's ${s%%=*} and ${s#*=}: the text before and after the first "=" (all of s when there is none). */
function beforeEq(s: string): string {
  const i = s.indexOf('=');
  return i < 0 ? s : s.slice(0, i);
}
function afterEq(s: string): string {
  const i = s.indexOf('=');
  return i < 0 ? s : s.slice(i + 1);
}

function sysctl(args: readonly string[], files: StandInFiles): StandInOutput {
  const out = { stdout: '', stderr: '', code: 0 };
  let quiet = false;
  let values = false;
  let ignore = false;
  const lookup = (key: string): string | undefined => files.sysctl.get(key);
  const show = (key: string, value: string): void => {
    if (quiet) return;
    out.stdout += values ? `${value}\n` : `${key} = ${value}\n`;
  };
  const missing = (key: string): void => {
    files.log += `sysctl-unknown\t${key}\t${ignore ? 1 : 0}\n`;
    if (!ignore) {
      out.stderr += `sysctl: cannot stat /proc/sys/${key.replaceAll('.', '/')}: No such file or directory\n`;
      out.code = 1;
    }
  };
  for (const a of args) {
    if (a === '--write') continue;
    if (a === '--quiet') quiet = true;
    else if (a === '--values') values = true;
    else if (a === '--ignore') ignore = true;
    else if (a === '-a' || a === '-A' || a === '-X' || a === '--all') {
      for (const line of readLines(files.sysctl.text())) out.stdout += `${beforeEq(line)} = ${afterEq(line)}\n`;
    } else if (a.startsWith('-p') || a.startsWith('--load') || a === '--system') {
      files.log += `unsupported\tsysctl ${a} (loading files) is not emulated by the TypeScript stack\n`;
    } else if (a.startsWith('-')) {
      for (const flag of a.slice(1)) {
        if (flag === 'q') quiet = true;
        else if (flag === 'n') values = true;
        else if (flag === 'e') ignore = true;
      }
    } else if (a.includes('=')) {
      const key = beforeEq(a).replaceAll('/', '.').replaceAll(' ', '');
      const val = afterEq(a).replace(/^ */, '');
      if (lookup(key) !== undefined) {
        files.log += `sysctl\t${key}\t${val}\n`;
        files.sysctl.append(key, stored(val));
        show(key, val);
      } else missing(key);
    } else {
      const key = a.replaceAll('/', '.');
      const value = lookup(key);
      if (value !== undefined) show(key, value);
      else missing(key);
    }
  }
  return out;
}

/** Global options that do not change what the ip stand-in does. */
const IP_IGNORED = new Set(['-4', '-6', '-j', '-json', '-d', '-details', '-s', '-br']);

function ip(argv: readonly string[], files: StandInFiles): StandInOutput {
  const args = argv.filter((a) => !IP_IGNORED.has(a));
  const show = (text: string): StandInOutput => ({ stdout: readLines(text).map((l) => `${l}\n`).join(''), stderr: '', code: 0 });
  // As the executable's `case "${args[0]} ${args[1]} ${args[2]:-show}"`.
  const three = `${args[0] ?? ''} ${args[1] ?? ''} ${args[2] || 'show'}`;
  if (three === 'mptcp endpoint show' || three === 'mptcp endp show') return show(files.endpoints);
  if (three === 'mptcp limits show') return show(files.limits);
  const two = `${args[0] ?? ''} ${args[1] || 'show'}`;
  if (['addr show', 'address show', 'a show', 'link show', 'l show', 'route show', 'r show'].includes(two)) return show(files.addrs);
  files.log += `${['ip', ...args].join('\t')}\n`;
  return { stdout: '', stderr: '', code: 0 };
}
