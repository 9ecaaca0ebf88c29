// `mptcpdrill interop`: the bundled TypeScript MPTCP stack against the Linux kernel's MPTCP, in
// real time over a tun device, every packet on the wire validated. Needs root; re-executes itself
// in a fresh network namespace that dies with it.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCommandArgs, requirePositionals } from '../args.js';
import { CliError, UsageError, type Command } from '../command.js';
import { DEFAULT_WRITE_SIZE } from '../../interop/stack-app.js';

const usage = `Usage: mptcpdrill interop [--role client|server] [--paths 1|2] [--bytes N] [--pcap FILE] [--checksum]
                         [--write-size N] [--remove-path]

Runs the bundled MPTCP stack against the Linux kernel's MPTCP over a tun device in a private
network namespace (root needed). A python3 app uses the kernel's MPTCP socket; the bundled stack
runs in this process, its clock following real time. Both send N pattern bytes, then DATA_FIN
and close. Every packet is decoded and checked (MP_CAPABLE keys, tokens, MP_JOIN and ADD_ADDR
HMACs, DSS mappings, DATA_ACKs, DSS checksums, each byte at its DSN), and written to a pcap.

Options:
  --role server|client  the bundled stack's role (default server: the kernel connects)
  --paths 1|2           2: the server announces a second address (ADD_ADDR), the client joins it
  --bytes N             bytes each way (default 1000000)
  --pcap FILE           capture file (default a temp file, named in the report)
  --write-size N        bytes per send() of the bundled stack's app (default ${DEFAULT_WRITE_SIZE})
  --checksum            the kernel asks for DSS checksums (net.mptcp.checksum_enabled=1)
  --remove-path         with --paths 2: remove a path mid-transfer
  -h, --help            this text

Exit status: 0 when every byte arrived in order both ways and every check held, 1 otherwise,
2 for bad usage or what cannot run, 4 without root (or tun, or MPTCP).`;

/** Why a second path cannot be exercised yet (the bundled stack answers MP_JOIN with a reset). */
export const NO_JOIN = 'The bundled stack does not implement MP_JOIN or ADD_ADDR yet (it answers an MP_JOIN SYN with MP_TCPRST and never announces or joins), so --paths 2 cannot run.';

const DEFAULT_BYTES = 1_000_000;
const MAX_WRITE = 1 << 20;
const MAX_BYTES = 1 << 30;
/** Generous: the transfer of the default megabyte takes a second or two. */
const timeoutFor = (bytes: number): number => 20_000 + bytes / 50;

async function reexec(argv: string[]): Promise<number> {
  const { runCommandInFreshNetns } = await import('../../targets/kernel/netns.js');
  return runCommandInFreshNetns('interop', argv);
}

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    role: { type: 'string' },
    paths: { type: 'string' },
    bytes: { type: 'string' },
    pcap: { type: 'string' },
    'remove-path': { type: 'boolean' },
    checksum: { type: 'boolean' },
    'write-size': { type: 'string' },
  });
  requirePositionals(positionals, []);
  const role = values.role ?? 'server';
  if (role !== 'server' && role !== 'client') throw new UsageError(`--role is client or server, not "${role}"`);
  const paths = Number(values.paths ?? '1');
  if (paths !== 1 && paths !== 2) throw new UsageError(`--paths is 1 or 2, not "${values.paths}"`);
  const bytes = Number(values.bytes ?? DEFAULT_BYTES);
  if (!Number.isInteger(bytes) || bytes < 1 || bytes > MAX_BYTES) throw new UsageError(`--bytes takes a whole number from 1 to ${MAX_BYTES}, not "${values.bytes}"`);
  const removePath = values['remove-path'] === true;
  const checksum = values.checksum === true;
  const writeSize = Number(values['write-size'] ?? DEFAULT_WRITE_SIZE);
  if (!Number.isInteger(writeSize) || writeSize < 1 || writeSize > MAX_WRITE) throw new UsageError(`--write-size takes a whole number from 1 to ${MAX_WRITE}, not "${values['write-size']}"`);
  if (removePath && paths !== 2) throw new UsageError('--remove-path needs --paths 2');

  const netns = await import('../../targets/kernel/netns.js');
  const missing = netns.preflight();
  if (missing) {
    process.stderr.write(`mptcpdrill interop: ${missing.replace('The kernel target', 'interop')}\n`);
    return 4;
  }
  if (paths === 2) {
    const { Stack } = await import('../../stack/socket-api.js');
    const { stackSupportsJoins } = await import('../../interop/multipath.js');
    if (!stackSupportsJoins(new Stack())) throw new CliError(NO_JOIN);
  }
  const pcap = values.pcap ?? join(tmpdir(), `mptcpdrill-interop-${process.pid}.pcap`);
  if (!netns.inPrivateNetns()) {
    const rest = ['--role', role, '--paths', String(paths), '--bytes', String(bytes), '--pcap', pcap, ...(removePath ? ['--remove-path'] : []), ...(checksum ? ['--checksum'] : []), '--write-size', String(writeSize)];
    return reexec(rest);
  }
  netns.dieWithParent();
  const { runInterop } = await import('../../interop/run-interop.js');
  const { formatReport, interopPassed } = await import('../../interop/report.js');
  const r = await runInterop({ role, paths, bytes, pcap, removePath, checksum, writeSize, timeoutMs: timeoutFor(bytes) });
  process.stdout.write(formatReport(r));
  return interopPassed(r) ? 0 : 1;
}

export const command: Command = {
  name: 'interop',
  summary: 'run the bundled MPTCP stack against the Linux kernel over a tun device (root)',
  usage,
  run,
};
