// `mptcpdrill run FILE`: runs one script against a target and reports the outcome in full.
// Several paths, a folder, or any suite flag hand the command to the suite runner (src/suite/),
// which prints one result per script (pretty, KTAP, TAP, JUnit, JSON) and a summary.
// Exit status: 0 pass, 1 fail, 2 error (script errors, bad usage), 4 skip.
//
// The kernel target runs in a fresh network namespace that this process's main thread enters
// (no second process), in a process the launcher started with the V8 flags of the suites' kernel
// workers (src/cli/kernel-relaunch.ts).

import { randomInt } from 'node:crypto';
import { parseCommandArgs, requirePositionals } from '../args.js';
import { CliError, UsageError, type Command } from '../command.js';
import { formatDiagnostic, wantsColor } from '../../script/diagnostics.js';
import { loadScript } from '../../script/load.js';
import { splitOptionArgs } from '../../script/options.js';
import type { Target, TargetName } from '../../targets/target.js';
import { prepareRun } from '../../engine/prepare.js';
import { runScript } from '../../engine/run.js';
import type { RunResult, RunStatus } from '../../engine/types.js';
import { formatRunReport } from '../../report/failure-report.js';
import { fanOut, pcapSink, verboseSink, type PcapSink } from '../../report/sinks.js';
import { SUITE_USAGE } from '../../suite/usage.js';
import { DIFF_USAGE } from '../../differential/flags.js';
import { isDifferential, isSuiteInvocation } from '../run-invocation.js';

const USAGE = `Usage: mptcpdrill run [--target ts|kernel|remote|ts,kernel] [-v] [--pcap FILE] [--tolerance-scale F] [--seed N]
                      [--grace-ms MS] [--strict-tail] [--retry-timing N] [-D NAME=VALUE] [--NAME=VALUE] FILE

Runs one .pkt script against a stack and reports pass, fail (with expected and actual packets),
error or skip.

Options:
  --target NAME        ts (the bundled TypeScript stack, virtual time; the default) or kernel
                       (the live Linux kernel, in a fresh network namespace; needs root) or
                       remote (a stack on another host, packet-only scripts; needs root)
  --iface IF           remote: the interface towards the stack under test
  --remote-ip ADDR     remote: the address of the stack under test
  --local-ip ADDR      remote: our address (default: the interface's)
  --lab NAME           remote: the stack of 'mptcpdrill lab up --name NAME' (instead of the
                       three above; sets IN_STACK, APP, STACK_IP2 and OUR_IP2, see lab --help)
  -v, --verbose        print every packet injected and observed and every call, with times
  --pcap FILE          write every packet injected and observed to FILE (pcap, link type RAW)
  --tolerance-scale F  multiply every timing tolerance by F (slow machines)
  --retry-timing N     kernel: run again, up to N times, after a timing failure while the tester
                       itself was late (a loaded machine); the report says so
  --seed N             seed of the random ports, keys and nonces (reproducible runs)
  --grace-ms MS        how long the stack may settle after the last event (default 50)
  --strict-tail        fail on any test packet the stack sends after the last event
  -D NAME=VALUE        define NAME (substituted in the script, exported to shell commands)
  --NAME=VALUE         any script option (e.g. --ip_version=ipv6, --tolerance_usecs=10000);
                       overrides the script's own line

Exit status: 0 pass, 1 fail, 2 error, 4 skip.

${DIFF_USAGE}`;

export const EXIT: Record<RunStatus, number> = { pass: 0, fail: 1, error: 2, skip: 4 };

export interface RunIo {
  out: (line: string) => void;
  err: (line: string) => void;
  color: boolean;
}

const processIo = (): RunIo => ({
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
  color: wantsColor(process.stdout),
});

/** Flags of a one-script run, on one target or (src/differential/cli.ts) on two. */
export const RUN_FLAGS = {
  target: { type: 'string' },
  'tolerance-scale': { type: 'string' },
  seed: { type: 'string' },
  'grace-ms': { type: 'string' },
  'strict-tail': { type: 'boolean' },
} as const;

/** A numeric flag's value, checked; undefined when the flag is absent. */
export function numberFlag(value: string | undefined, name: string, check: (n: number) => boolean): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || !check(n)) throw new UsageError(`${name} needs a positive number, not '${value}'`);
  return n;
}

export { isDifferential, isSuiteInvocation } from '../run-invocation.js';

export async function runRun(argv: string[], io: RunIo = processIo()): Promise<number> {
  if (isDifferential(argv)) {
    const { runDifferentialFile } = await import('../../differential/cli.js');
    return runDifferentialFile(argv, io);
  }
  const { options: scriptOptions, rest } = splitOptionArgs(argv);
  const { values, positionals } = parseCommandArgs(rest, {
    ...RUN_FLAGS,
    pcap: { type: 'string' },
    iface: { type: 'string' },
    'remote-ip': { type: 'string' },
    'local-ip': { type: 'string' },
    lab: { type: 'string' },
    'retry-timing': { type: 'string' },
  });
  const [file] = requirePositionals(positionals, ['FILE']);
  const targetName = (values.target ?? 'ts') as TargetName;
  if (targetName !== 'kernel' && targetName !== 'ts' && targetName !== 'remote') {
    throw new UsageError(`--target must be ts, kernel or remote, not '${values.target}'`);
  }
  // A remote stack is the engine's "local" side: its flags become script-option overrides that
  // beat the script's own lines (see src/targets/remote/cli-options.ts).
  let remoteTarget: Target | undefined;
  let labName: string | undefined;
  if (values.lab !== undefined && targetName !== 'remote') throw new UsageError('--lab is for --target remote');
  if (targetName === 'remote') {
    const { remoteTargetFromFlags } = await import('../../targets/remote/cli-options.js');
    // `--remote-ip`/`--local-ip` are also the dashed spellings of the script options, which
    // splitOptionArgs took: for the remote target they name the stack and us, so take them back.
    const takeOption = (name: string): string | undefined => {
      const value = scriptOptions[name];
      delete scriptOptions[name];
      return Array.isArray(value) ? value[value.length - 1] : value;
    };
    let remoteIp = values['remote-ip'] ?? takeOption('remote_ip');
    let localIp = values['local-ip'] ?? takeOption('local_ip');
    let iface = values.iface;
    if (values.lab !== undefined) {
      if (iface !== undefined || remoteIp !== undefined || localIp !== undefined) throw new UsageError('--lab gives the interface and both addresses: drop --iface, --remote-ip and --local-ip');
      const { enterLabForRun } = await import('../lab-run.js');
      ({ iface, remoteIp, localIp } = await enterLabForRun(values.lab, scriptOptions));
      labName = values.lab;
    }
    const setup = remoteTargetFromFlags({ iface, remoteIp, localIp });
    if (!setup.ok) throw new UsageError(setup.message);
    remoteTarget = setup.target;
    Object.assign(scriptOptions, setup.overrides);
  }
  const toleranceScale = numberFlag(values['tolerance-scale'], '--tolerance-scale', (n) => n > 0);
  const seed = numberFlag(values.seed, '--seed', (n) => Number.isInteger(n) && n >= 0) ?? randomInt(0, 2 ** 31);
  const graceMs = numberFlag(values['grace-ms'], '--grace-ms', (n) => n >= 0);
  const retryTiming = numberFlag(values['retry-timing'], '--retry-timing', (n) => Number.isInteger(n) && n >= 0) ?? 0;

  // The kernel target's threads start while the script loads (their start takes a few hundred
  // milliseconds of wall time, more on a loaded machine).
  const kernelThreads = targetName === 'kernel' ? import('../../targets/kernel/threads.js').then((m) => m.startKernelThreads()) : undefined;
  kernelThreads?.catch(() => undefined);
  const loaded = loadScript(file!, { target: targetName, cli: scriptOptions });
  const printDiagnostics = (): void => {
    for (const d of loaded.diagnostics) io.err(formatDiagnostic(d, loaded.text, { color: io.color }));
  };
  if (!loaded.script || !loaded.options || loaded.diagnostics.some((d) => d.severity === 'error')) {
    printDiagnostics();
    return EXIT.error;
  }

  if (loaded.options.dryRun) {
    printDiagnostics();
    return EXIT.pass;
  }
  let target: Target;
  let newKernelTarget: (() => Promise<Target>) | undefined;
  if (targetName === 'kernel') {
    const netns = await import('../../targets/kernel/netns.js');
    const missing = netns.preflight();
    if (missing) {
      io.err(`SKIP ${file}: ${missing}`);
      return EXIT.skip;
    }
    // This process's main thread enters a fresh namespace of its own (no process to start), once
    // the kernel target's threads are started and its code warmed up (src/suite/kernel-worker-warmup.ts).
    if (!netns.inPrivateNetns()) {
      const { warmUpKernelTarget } = await import('../../suite/kernel-worker-warmup.js');
      const { suiteFamily } = await import('../../suite/variants.js');
      await kernelThreads;
      await warmUpKernelTarget([suiteFamily(loaded.script)]);
      try {
        netns.enterFreshNetnsForThisRun();
      } catch (err) {
        throw new CliError(`cannot make a network namespace for the kernel target: ${(err as Error).message}`, EXIT.error);
      }
    }
    const { KernelTarget } = await import('../../targets/kernel/kernel-target.js');
    const { sec } = await import('../../engine/timeline.js');
    // With -v, also show what the kernel target set aside as not the test's (e.g. IPv6 noise).
    target = new KernelTarget(loaded.options.verbose ? { onIgnored: (p) => io.out(`${sec(p.time)} ignored (${p.reason})`) } : {});
    // --retry-timing: each run again in a fresh namespace.
    newKernelTarget = async () => {
      netns.renewFreshNetnsForThisRun();
      return new KernelTarget(loaded.options!.verbose ? { onIgnored: (p) => io.out(`${sec(p.time)} ignored (${p.reason})`) } : {});
    };
  } else if (remoteTarget) {
    target = remoteTarget;
  } else {
    const { createTsTarget } = await import('../../targets/ts-target.js');
    target = createTsTarget({ seed });
  }
  printDiagnostics();

  const attempt = async (t: Target): Promise<RunResult> => {
    let pcap: PcapSink | undefined;
    if (values.pcap !== undefined) {
      try {
        pcap = pcapSink(values.pcap);
      } catch (err) {
        throw new CliError(`cannot write ${values.pcap}: ${(err as Error).message}`, EXIT.error);
      }
    }
    const verbose = loaded.options!.verbose ? verboseSink(io.out) : undefined;
    if (verbose) io.out(`# ${file} on the ${targetName} target, seed ${seed}`);
    const opts = prepareRun(loaded.options!, targetName, {
      seed,
      toleranceScale,
      graceUs: graceMs === undefined ? undefined : graceMs * 1000,
      strictTail: values['strict-tail'] ?? false,
      onTrace: fanOut([verbose, pcap?.sink]),
    });
    try {
      return await runScript(loaded, t, opts);
    } finally {
      pcap?.close();
      if (labName !== undefined) await (await import('../lab-run.js')).endLabApps(labName);
    }
  };
  let result = await attempt(target);
  // --retry-timing: again (on the kernel, in a fresh namespace) while the run fails on timing with
  // the tester itself late; the capture and -v show the last run.
  const lates: number[] = [];
  while (newKernelTarget && lates.length < retryTiming && result.status === 'fail' && result.failure?.testerLateUs !== undefined) {
    lates.push(result.failure.testerLateUs);
    result = await attempt(await newKernelTarget());
  }
  // The kernel target's threads, woken to end now rather than joined at exit (threads.ts).
  if (targetName === 'kernel') await (await import('../../targets/kernel/threads.js')).stopKernelThreads();
  if (lates.length > 0) {
    const { timingRetryNote } = await import('../../suite/executor.js');
    result.warnings.push(timingRetryNote(lates, result.status === 'pass'));
  }
  const report = formatRunReport(result, loaded.text, { color: io.color });
  if (result.status === 'pass') io.out(report);
  else io.err(report);
  if (result.status === 'fail' && !loaded.options.verbose) io.err(`(seed ${seed}; rerun with -v to see every packet)`);
  return EXIT[result.status];
}

async function runSuite(argv: string[]): Promise<number> {
  const { runSuiteCommand } = await import('../../suite/cli.js');
  return runSuiteCommand(argv);
}

export const command: Command = {
  name: 'run',
  summary: 'run .pkt scripts (a file, several, or folders) against the bundled stack or the kernel',
  usage: `${USAGE}\n\n${SUITE_USAGE}`,
  run: (argv) => (isSuiteInvocation(argv) ? runSuite(argv) : runRun(argv)),
};
