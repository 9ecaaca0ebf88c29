// Option lines and command-line flags (docs/language.md §4): one table says every option's type,
// default and meaning; `resolveOptions` turns a script's `--name=value` lines plus the command
// line into typed ScriptOptions (a command-line flag wins over the script's own line), and
// `optionEnvironment` gives the `OPT_*` environment shell commands run with.

import { isIPv4, isIPv6 } from 'node:net';
import { formatAddress, parseAddress } from '../wire/addr.js';
import type { Diagnostic, OptionLine, SourceRange } from './ast.js';

export type IpVersionOption = 'ipv4' | 'ipv4-mapped-ipv6' | 'ipv6';

type OptionType = 'int' | 'number' | 'string' | 'ip' | 'ip-prefix' | 'netmask' | 'ip-version' | 'bool' | 'non-fatal' | 'define';

export interface OptionSpec {
  /** Canonical name, with underscores (`tolerance_usecs`). */
  name: string;
  type: OptionType;
  /** Default as text (documentation; the typed default is in `resolveOptions`). */
  defaultText: string;
  meaning: string;
  /** `OPT_*` variable it is exported as, if any. */
  env?: string;
  /** Accepted but not carried out: a warning names it. */
  unsupported?: string;
  /** Short aliases (`-v`, `-D`). */
  short?: string;
}

export const OPTION_SPECS: readonly OptionSpec[] = [
  { name: 'ip_version', type: 'ip-version', defaultText: 'ipv4', meaning: 'ipv4, ipv4-mapped-ipv6 (IPv6 socket API, IPv4 on the wire) or ipv6', env: 'OPT_IP_VERSION' },
  { name: 'bind_port', type: 'int', defaultText: '8080', meaning: 'local port that bind(..., ..., ...) uses', env: 'OPT_BIND_PORT' },
  { name: 'connect_port', type: 'int', defaultText: '8080', meaning: 'remote port that connect(..., ..., ...) uses', env: 'OPT_CONNECT_PORT' },
  { name: 'local_ip', type: 'ip', defaultText: 'random in 192.168.0.0/16 (v4), in fd3d:fa7b:d17d::/48 (v6)', meaning: 'address of the stack under test', env: 'OPT_LOCAL_IP' },
  { name: 'remote_ip', type: 'ip-prefix', defaultText: '192.0.2.1 (v4), 2001:db8::1 (v6)', meaning: "the script's (the peer's) address, optionally with /prefix routed to the test device", env: 'OPT_REMOTE_IP' },
  { name: 'gateway_ip', type: 'ip', defaultText: '192.168.0.1 (v4), fd3d:fa7b:d17d:8888::0 (v6)', meaning: 'route for the remote prefix', env: 'OPT_GATEWAY_IP' },
  { name: 'netmask_ip', type: 'netmask', defaultText: '255.255.0.0', meaning: 'IPv4 netmask of the local address (not read with ipv6)', env: 'OPT_NETMASK_IP' },
  { name: 'mtu', type: 'int', defaultText: '1500', meaning: 'test interface MTU', env: 'OPT_MTU' },
  { name: 'mss', type: 'int', defaultText: '-', meaning: 'reserved (exported as OPT_MSS)', env: 'OPT_MSS' },
  { name: 'speed', type: 'int', defaultText: 'interface default', meaning: 'tun speed reported to the stack', env: 'OPT_SPEED' },
  { name: 'tolerance_usecs', type: 'int', defaultText: '4000', meaning: 'timing slack in microseconds', env: 'OPT_TOLERANCE_USECS' },
  { name: 'tolerance_percent', type: 'number', defaultText: '12.5', meaning: 'relative timing slack in percent of the gap to the previous event' },
  { name: 'tcp_ts_ecr_scaled', type: 'bool', defaultText: 'off', meaning: 'interpolate TS ecr values that name no recorded TS val', env: 'OPT_TCP_TS_ECR_SCALED' },
  { name: 'tcp_ts_tick_usecs', type: 'int', defaultText: '0 (TS val not checked)', meaning: 'when set, outbound TS val is checked against elapsed time', env: 'OPT_TCP_TS_TICK_USECS' },
  { name: 'strict_segments', type: 'bool', defaultText: 'off', meaning: 'one live segment must carry a whole expected segment (no TSO/GSO splits)', env: 'OPT_STRICT_SEGMENTS' },
  { name: 'non_fatal', type: 'non-fatal', defaultText: 'none', meaning: 'packet and/or syscall: such mismatches warn instead of failing', env: 'OPT_NON_FATAL' },
  { name: 'init_scripts', type: 'string', defaultText: '-', meaning: 'comma-separated shell commands run, in order, before the script (a failing one fails it)', env: 'OPT_INIT_SCRIPTS' },
  { name: 'code_command', type: 'string', defaultText: 'python3', meaning: 'interpreter for %{ }% blocks', env: 'OPT_CODE_COMMAND' },
  { name: 'code_format', type: 'string', defaultText: 'python', meaning: 'format of code blocks (only python)', env: 'OPT_CODE_FORMAT' },
  { name: 'code_sockopt', type: 'string', defaultText: 'auto', meaning: 'which getsockopt feeds %{ }% blocks (TCP_INFO)', env: 'OPT_CODE_SOCKOPT' },
  { name: 'send_omit_free', type: 'bool', defaultText: 'off', meaning: 'skip freeing send buffers (no behaviour change)', env: 'OPT_SEND_OMIT_FREE' },
  { name: 'is_anyip', type: 'bool', defaultText: 'off', meaning: 'local address is an "any IP" route', env: 'OPT_IS_ANYIP' },
  { name: 'dry_run', type: 'bool', defaultText: 'off', meaning: 'parse and check only', env: 'OPT_DRY_RUN' },
  { name: 'so_filename', type: 'string', defaultText: '-', meaning: "packetdrill's shared-object stack hook", env: 'OPT_SO_FILENAME', unsupported: 'the shared-object stack hook is out of scope' },
  { name: 'so_flags', type: 'string', defaultText: '-', meaning: 'flags for the shared-object stack hook', env: 'OPT_SO_FLAGS', unsupported: 'the shared-object stack hook is out of scope' },
  { name: 'wire_client', type: 'bool', defaultText: 'off', meaning: 'two-machine mode: run the syscalls here', env: 'OPT_WIRE_CLIENT' },
  { name: 'wire_server', type: 'bool', defaultText: 'off', meaning: 'two-machine mode: inject and sniff packets here', env: 'OPT_WIRE_SERVER' },
  { name: 'wire_server_ip', type: 'ip', defaultText: '-', meaning: 'address of the wire server', env: 'OPT_WIRE_SERVER_IP' },
  { name: 'wire_server_at', type: 'string', defaultText: '-', meaning: 'wire server address and port [google]' },
  { name: 'wire_server_port', type: 'int', defaultText: '8081', meaning: 'port of the wire server', env: 'OPT_WIRE_SERVER_PORT' },
  { name: 'wire_client_dev', type: 'string', defaultText: '-', meaning: 'interface the wire client uses', env: 'OPT_WIRE_CLIENT_DEV' },
  { name: 'wire_server_dev', type: 'string', defaultText: 'eth0', meaning: 'interface the wire server uses', env: 'OPT_WIRE_SERVER_DEV' },
  { name: 'psp_udp_port', type: 'int', defaultText: '-', meaning: 'PSP encapsulation port [google]', unsupported: 'PSP encapsulation is not supported' },
  { name: 'verbose', type: 'bool', defaultText: 'off', meaning: 'dump packets and decisions', env: 'OPT_VERBOSE', short: 'v' },
  { name: 'debug', type: 'bool', defaultText: 'off', meaning: 'print debugging detail' },
  { name: 'define', type: 'define', defaultText: '-', meaning: 'NAME=VALUE substituted for the word NAME and exported to shell commands', short: 'D' },
];

const specByName = new Map(OPTION_SPECS.map((s) => [s.name, s]));

/** Looks up an option by any accepted spelling: `tolerance_usecs`, `tolerance-usecs`, `v`, `D`. */
export function findOption(name: string): OptionSpec | undefined {
  const canonical = name.replace(/-/g, '_');
  return specByName.get(canonical) ?? OPTION_SPECS.find((s) => s.short === name);
}

export interface ScriptOptions {
  ipVersion: IpVersionOption;
  bindPort: number;
  connectPort: number;
  localIp: string;
  /** True when local_ip was chosen at random (not written anywhere). */
  localIpRandom: boolean;
  remoteIp: string;
  /** Prefix length routed towards the test device (`/N` of remote_ip, else 24 / 32). */
  remotePrefix: number;
  gatewayIp: string;
  netmaskIp: string;
  mtu: number;
  mss?: number;
  speed?: number;
  toleranceUsecs: number;
  tolerancePercent: number;
  tcpTsEcrScaled: boolean;
  tcpTsTickUsecs: number;
  strictSegments: boolean;
  nonFatal: { packet: boolean; syscall: boolean };
  initScripts?: string;
  codeCommand: string;
  codeFormat: string;
  codeSockopt: string;
  sendOmitFree: boolean;
  isAnyip: boolean;
  dryRun: boolean;
  soFilename?: string;
  soFlags?: string;
  wireClient: boolean;
  wireServer: boolean;
  wireServerIp?: string;
  wireServerAt?: string;
  wireServerPort: number;
  wireClientDev?: string;
  wireServerDev: string;
  pspUdpPort?: number;
  verbose: boolean;
  debug: boolean;
  /** `-D NAME=VALUE` / `--define=NAME=VALUE`, script lines first, command line last (wins). */
  defines: Record<string, string>;
}

/** One `name=value` setting, from a script line (with its range) or from the command line. */
export interface OptionSetting {
  name: string;
  value?: string;
  /** Where the setting was written; absent for the command line. */
  range?: SourceRange;
}

export type DiagnosticSink = (d: Diagnostic) => void;

/** Command-line flags as parsed: name → value, or several values for a repeated `-D`. */
export type CliOptions = Record<string, string | string[]>;

const CLI_FILE = '<command line>';
const NO_RANGE: SourceRange = { start: { line: 1, column: 1, offset: 0 }, end: { line: 1, column: 1, offset: 0 } };

/** A random address in 192.168.0.0/16 avoiding .0, .255 and the default gateway 192.168.0.1. */
function randomLocalV4(random: () => number): string {
  const third = Math.floor(random() * 256);
  const fourth = 2 + Math.floor(random() * 252);
  return `192.168.${third}.${fourth}`;
}

function randomLocalV6(random: () => number): string {
  const group = (): string => Math.floor(random() * 0xffff).toString(16);
  return `fd3d:fa7b:d17d::${group()}:${(1 + Math.floor(random() * 0xfffe)).toString(16)}`;
}

function isIp(text: string): boolean {
  return isIPv4(text) || isIPv6(text);
}

interface Parsed {
  value: string | number | boolean | { packet: boolean; syscall: boolean };
}

/** Validates one value against its type; returns an error sentence or the parsed value. */
function parseValue(spec: OptionSpec, raw: string | undefined): Parsed | string {
  const value = raw?.replace(/^"(.*)"$/, '$1');
  switch (spec.type) {
    case 'bool':
      if (value === undefined || value === '' || value === '1' || value === 'true' || value === 'on') return { value: true };
      if (value === '0' || value === 'false' || value === 'off') return { value: false };
      return `option --${spec.name} takes no value or one of 1, 0, true, false (got '${value}')`;
    case 'int': {
      if (value === undefined || !/^\d+$/.test(value)) return `option --${spec.name} needs a non-negative integer${value === undefined ? '' : ` (got '${value}')`}`;
      return { value: Number(value) };
    }
    case 'number': {
      if (value === undefined || !/^\d+(\.\d*)?$|^\.\d+$/.test(value)) return `option --${spec.name} needs a non-negative number${value === undefined ? '' : ` (got '${value}')`}`;
      return { value: Number(value) };
    }
    case 'ip':
      if (value === undefined || !isIp(value)) return `option --${spec.name} needs an IP address${value === undefined ? '' : ` (got '${value}')`}`;
      return { value: canonicalIp(value) };
    case 'ip-prefix': {
      const m = value === undefined ? null : /^([^/]+)(?:\/(\d{1,3}))?$/.exec(value);
      if (!m || !isIp(m[1]!)) return `option --${spec.name} needs an IP address, optionally with /prefix${value === undefined ? '' : ` (got '${value}')`}`;
      const max = isIPv4(m[1]!) ? 32 : 128;
      if (m[2] !== undefined && Number(m[2]) > max) return `option --${spec.name}: prefix /${m[2]} is longer than ${max} bits`;
      return { value: canonicalIp(m[1]!) + (m[2] !== undefined ? `/${m[2]}` : '') };
    }
    case 'netmask':
      // Checked once ip_version is known (familyErrors): IPv6 runs never read it.
      if (value === undefined) return `option --${spec.name} needs a value`;
      return { value };
    case 'ip-version':
      if (value === 'ipv4' || value === 'ipv4-mapped-ipv6' || value === 'ipv6') return { value };
      return `option --ip_version must be ipv4, ipv4-mapped-ipv6 or ipv6${value === undefined ? '' : ` (got '${value}')`}`;
    case 'non-fatal': {
      const parts = (value ?? '').split(',').map((p) => p.trim()).filter((p) => p !== '');
      if (parts.length === 0 || parts.some((p) => p !== 'packet' && p !== 'syscall')) {
        return `option --non_fatal takes packet, syscall or packet,syscall${value === undefined ? '' : ` (got '${value}')`}`;
      }
      return { value: { packet: parts.includes('packet'), syscall: parts.includes('syscall') } };
    }
    case 'define':
      if (value === undefined || !/^[A-Za-z_][A-Za-z0-9_]*=/.test(value)) return `option --define needs NAME=VALUE${value === undefined ? '' : ` (got '${value}')`}`;
      return { value };
    case 'string':
      if (value === undefined) return `option --${spec.name} needs a value`;
      return { value };
  }
}

/**
 * One spelling per address ("fd3d:0a0b::1" → "fd3d:a0b::1", as the codec prints it), so that an
 * address written with leading zeros (upstream's IPv6 suite flags) compares equal to the live one.
 */
function canonicalIp(text: string): string {
  const parsed = parseAddress(text);
  return parsed ? formatAddress(parsed.bytes) : text;
}

function cliSettings(cli: CliOptions): OptionSetting[] {
  const out: OptionSetting[] = [];
  for (const [name, v] of Object.entries(cli)) {
    for (const value of Array.isArray(v) ? v : [v]) out.push({ name, value });
  }
  return out;
}

export interface ResolveOptionsConfig {
  /** File named in diagnostics about script lines. */
  file?: string;
  /** Random source for the default local address (tests pass a fixed one). */
  random?: () => number;
}

/**
 * Resolves the script's option lines and the command line (which wins) into ScriptOptions.
 * Unknown options and bad values are errors; accepted-but-unsupported ones are warnings.
 */
export function resolveOptions(lines: readonly OptionLine[], cli: CliOptions, sink: DiagnosticSink, config: ResolveOptionsConfig = {}): ScriptOptions {
  const file = config.file ?? '<script>';
  const settings: OptionSetting[] = [
    ...lines.map((l) => ({ name: l.name, value: l.value, range: l.range })),
    ...cliSettings(cli),
  ];
  const values = new Map<string, Parsed['value']>();
  const defines: Record<string, string> = {};
  const setBy = new Map<string, OptionSetting>();
  const reporter = (s: OptionSetting) => (severity: Diagnostic['severity'], code: string, message: string): void =>
    sink({ severity, code, message, file: s.range ? file : CLI_FILE, range: s.range ?? NO_RANGE });
  for (const s of settings) {
    const report = reporter(s);
    const spec = findOption(s.name);
    if (!spec) {
      report('error', 'unknown-option', `unknown option --${s.name}`);
      continue;
    }
    const parsed = parseValue(spec, s.value);
    if (typeof parsed === 'string') {
      report('error', 'bad-option-value', parsed);
      continue;
    }
    if (spec.unsupported) report('warning', 'unsupported-option', `option --${spec.name} is accepted but ignored: ${spec.unsupported}`);
    if (spec.type === 'define') {
      const text = parsed.value as string;
      const eq = text.indexOf('=');
      defines[text.slice(0, eq)] = text.slice(eq + 1);
    } else {
      values.set(spec.name, parsed.value);
      setBy.set(spec.name, s);
    }
  }
  const order = (name: string) => settings.indexOf(setBy.get(name)!);
  for (const [name, message] of familyErrors(values).sort((a, b) => order(a[0]) - order(b[0]))) {
    reporter(setBy.get(name)!)('error', 'bad-option-value', message);
    values.delete(name);
  }
  return buildOptions(values, defines, config.random ?? Math.random);
}

/**
 * Addresses of the wrong family for ip_version, refused before anything runs as packetdrill
 * refuses them ("bad IPv4 address"): ipv4 and ipv4-mapped-ipv6 runs put IPv4 on the wire, so
 * local_ip, remote_ip, gateway_ip and netmask_ip are IPv4 there; ipv6 runs need IPv6 addresses
 * and never read netmask_ip, so any text is accepted for it.
 */
function familyErrors(values: Map<string, Parsed['value']>): Array<[string, string]> {
  const ipVersion = (values.get('ip_version') as IpVersionOption | undefined) ?? 'ipv4';
  const v6 = ipVersion === 'ipv6';
  const out: Array<[string, string]> = [];
  for (const name of ['local_ip', 'remote_ip', 'gateway_ip', 'netmask_ip']) {
    const value = values.get(name) as string | undefined;
    if (value === undefined || (v6 && name === 'netmask_ip')) continue;
    if (parseAddress(value.split('/')[0]!)?.family === (v6 ? 6 : 4)) continue;
    out.push([name, `option --${name} needs an ${v6 ? 'IPv6' : 'IPv4'} address with --ip_version=${ipVersion} (got '${value}')`]);
  }
  return out;
}

function buildOptions(values: Map<string, Parsed['value']>, defines: Record<string, string>, random: () => number): ScriptOptions {
  const str = (n: string): string | undefined => values.get(n) as string | undefined;
  const num = (n: string): number | undefined => values.get(n) as number | undefined;
  const bool = (n: string): boolean => (values.get(n) as boolean | undefined) ?? false;
  const ipVersion = (str('ip_version') ?? 'ipv4') as IpVersionOption;
  const v6 = ipVersion === 'ipv6';
  const remote = str('remote_ip') ?? (v6 ? '2001:db8::1' : '192.0.2.1');
  const [remoteIp, prefix] = remote.split('/') as [string, string | undefined];
  const localIp = str('local_ip');
  return {
    ipVersion,
    bindPort: num('bind_port') ?? 8080,
    connectPort: num('connect_port') ?? 8080,
    localIp: localIp ?? (v6 ? randomLocalV6(random) : randomLocalV4(random)),
    localIpRandom: localIp === undefined,
    remoteIp,
    // remote_ip was checked as an address: a colon is IPv6 (node's isIPv6 costs ~15 ms on first use).
    remotePrefix: prefix !== undefined ? Number(prefix) : remoteIp.includes(':') ? 32 : 24,
    gatewayIp: str('gateway_ip') ?? (v6 ? 'fd3d:fa7b:d17d:8888::0' : '192.168.0.1'),
    netmaskIp: str('netmask_ip') ?? '255.255.0.0',
    mtu: num('mtu') ?? 1500,
    mss: num('mss'),
    speed: num('speed'),
    toleranceUsecs: num('tolerance_usecs') ?? 4000,
    tolerancePercent: num('tolerance_percent') ?? 12.5,
    tcpTsEcrScaled: bool('tcp_ts_ecr_scaled'),
    tcpTsTickUsecs: num('tcp_ts_tick_usecs') ?? 0,
    strictSegments: bool('strict_segments'),
    nonFatal: (values.get('non_fatal') as ScriptOptions['nonFatal'] | undefined) ?? { packet: false, syscall: false },
    initScripts: str('init_scripts'),
    codeCommand: str('code_command') ?? 'python3',
    codeFormat: str('code_format') ?? 'python',
    codeSockopt: str('code_sockopt') ?? 'auto',
    sendOmitFree: bool('send_omit_free'),
    isAnyip: bool('is_anyip'),
    dryRun: bool('dry_run'),
    soFilename: str('so_filename'),
    soFlags: str('so_flags'),
    wireClient: bool('wire_client'),
    wireServer: bool('wire_server'),
    wireServerIp: str('wire_server_ip'),
    wireServerAt: str('wire_server_at'),
    wireServerPort: num('wire_server_port') ?? 8081,
    wireClientDev: str('wire_client_dev'),
    wireServerDev: str('wire_server_dev') ?? 'eth0',
    pspUdpPort: num('psp_udp_port'),
    verbose: bool('verbose'),
    debug: bool('debug'),
    defines,
  };
}

export interface EnvironmentExtras {
  /** Test interface name (`OPT_LOCAL_DEV`). */
  localDev?: string;
  target?: 'kernel' | 'ts' | 'remote';
}

/** The `OPT_*` environment of shell commands (§4), plus every define and MPTCPDRILL_TARGET. */
export function optionEnvironment(opts: ScriptOptions, extras: EnvironmentExtras = {}): Record<string, string> {
  const flag = (b: boolean): string => (b ? '1' : '0');
  const opt = (v: string | number | undefined): string => (v === undefined ? '' : String(v));
  const nonFatal = [opts.nonFatal.packet ? 'packet' : '', opts.nonFatal.syscall ? 'syscall' : ''].filter(Boolean).join(',');
  const env: Record<string, string> = {
    OPT_IP_VERSION: opts.ipVersion,
    OPT_BIND_PORT: String(opts.bindPort),
    OPT_CONNECT_PORT: String(opts.connectPort),
    OPT_REMOTE_IP: opts.remoteIp,
    OPT_LOCAL_IP: opts.localIp,
    OPT_GATEWAY_IP: opts.gatewayIp,
    OPT_NETMASK_IP: opts.netmaskIp,
    OPT_LOCAL_DEV: extras.localDev ?? 'tun0',
    OPT_MSS: opt(opts.mss),
    OPT_MTU: String(opts.mtu),
    OPT_INIT_SCRIPTS: opt(opts.initScripts),
    OPT_NON_FATAL: nonFatal,
    OPT_SPEED: opt(opts.speed),
    OPT_TOLERANCE_USECS: String(opts.toleranceUsecs),
    OPT_TCP_TS_ECR_SCALED: flag(opts.tcpTsEcrScaled),
    OPT_TCP_TS_TICK_USECS: String(opts.tcpTsTickUsecs),
    OPT_STRICT_SEGMENTS: flag(opts.strictSegments),
    OPT_WIRE_CLIENT: flag(opts.wireClient),
    OPT_WIRE_SERVER: flag(opts.wireServer),
    OPT_WIRE_SERVER_IP: opt(opts.wireServerIp),
    OPT_WIRE_SERVER_PORT: String(opts.wireServerPort),
    OPT_WIRE_CLIENT_DEV: opt(opts.wireClientDev),
    OPT_WIRE_SERVER_DEV: opts.wireServerDev,
    OPT_SO_FILENAME: opt(opts.soFilename),
    OPT_SO_FLAGS: opt(opts.soFlags),
    OPT_DRY_RUN: flag(opts.dryRun),
    OPT_IS_ANYIP: flag(opts.isAnyip),
    OPT_SEND_OMIT_FREE: flag(opts.sendOmitFree),
    OPT_VERBOSE: flag(opts.verbose),
    OPT_CODE_COMMAND: opts.codeCommand,
    OPT_CODE_FORMAT: opts.codeFormat,
    OPT_CODE_SOCKOPT: opts.codeSockopt,
  };
  for (const [name, value] of Object.entries(opts.defines)) env[name] = value;
  if (extras.target) env['MPTCPDRILL_TARGET'] = extras.target;
  return env;
}

/**
 * Splits a command line into option flags (§4 spellings: `--name=value`, `--name value`,
 * `--dashed-name`, `-D NAME=VALUE`, `-v`) and everything else. Boolean options never take the
 * next word as their value. Unknown `--flags` are left in `rest` for the command to judge.
 */
export function splitOptionArgs(argv: readonly string[]): { options: CliOptions; rest: string[] } {
  const options: CliOptions = {};
  const rest: string[] = [];
  const put = (name: string, value: string): void => {
    const prev = options[name];
    if (name !== 'define' || prev === undefined) options[name] = name === 'define' ? [value] : value;
    else options[name] = [...(Array.isArray(prev) ? prev : [prev]), value];
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^--?([A-Za-z][A-Za-z0-9_-]*)(?:=(.*))?$/s.exec(arg);
    const spec = m ? (arg.startsWith('--') ? findOption(m[1]!) : OPTION_SPECS.find((s) => s.short === m[1])) : undefined;
    if (!m || !spec) {
      rest.push(arg);
      continue;
    }
    let value = m[2];
    if (value === undefined && spec.type !== 'bool') {
      if (i + 1 >= argv.length) {
        rest.push(arg);
        continue;
      }
      value = argv[++i]!;
    }
    put(spec.name, value ?? '');
  }
  return { options, rest };
}
