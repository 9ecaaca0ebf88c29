// `mptcpdrill lab up|down|status`: the remote target's test bed on this machine (two named
// network namespaces joined by a veth pair, the kernel under test in one of them), so that
// `run --target remote --lab NAME` has a stack to test without a second host. The work is in
// src/targets/remote/lab.ts.
import { parseCommandArgs, requirePositionals } from '../args.js';
import { CliError, UsageError, type Command } from '../command.js';

const usage = `Usage: mptcpdrill lab up     [--name NAME] [--stack kernel] [--json]
       mptcpdrill lab down   [--name NAME]
       mptcpdrill lab status [--name NAME] [--json]

Builds, removes or shows a lab for the remote target on this machine (root needed): namespace
mptcpdrill-NAME-tester holds our end of a veth pair (vethA, 10.77.0.1 and 10.77.0.2), where
the remote target injects and captures; namespace mptcpdrill-NAME-stack holds the stack under
test (vethB, 10.77.0.10 and 10.77.0.11). The host's own network is not touched. The lab lasts
until 'lab down', which also removes what an interrupted 'up' left.

Run a script against it (one script per run):
  mptcpdrill run --target remote --lab NAME FILE.pkt
which stands for --iface vethA --remote-ip 10.77.0.10 --local-ip 10.77.0.1 run inside the
tester namespace, with the defines the lab's scripts use (-D on the command line wins):
  IN_STACK   a command prefix that runs a shell line's command in the stack's namespace
  APP        python3 scripts/remote/mptcp-app.py, a small MPTCP application (listen, connect)
  STACK_IP2  the stack's second address;  OUR_IP2  ours
Each run gets a fresh stack namespace (as the kernel target gives every script one), so what
a script set up there (endpoints, sysctls, listeners) does not reach the next run; processes
it left there are ended when it ends. Start your own programs in the lab with
  ip netns exec mptcpdrill-NAME-stack COMMAND

Options:
  --name NAME     the lab's name (default: default); lab status without it shows every lab
  --stack kernel  the stack under test: this machine's kernel (the only one so far)
  --json          status as one JSON object
  -h, --help      this text

Exit status: 0 done (status: the lab is up), 1 status: the lab is down or half built (or,
without --name, there is no lab or one is not up),
2 bad usage or what cannot be done, 4 without root.`;

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    name: { type: 'string' },
    stack: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (positionals.length === 0) throw new UsageError('missing the action: up, down or status');
  const [action] = requirePositionals(positionals, ['the action']);
  if (action !== 'up' && action !== 'down' && action !== 'status') throw new UsageError(`the action is up, down or status, not "${action}"`);
  if (values.stack !== undefined && action !== 'up') throw new UsageError('--stack is for lab up');
  if (values.json && action === 'down') throw new UsageError('--json is for lab up and lab status');
  const stack = values.stack ?? 'kernel';
  if (stack !== 'kernel') throw new UsageError(`--stack is kernel (this machine's kernel; no other stack can sit in the lab yet), not "${stack}"`);
  const lab = await import('../../targets/remote/lab.js');
  const name = values.name ?? lab.DEFAULT_LAB;
  try {
    lab.labNames(name);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (process.platform !== 'linux') throw new CliError('The lab needs Linux (network namespaces and MPTCP).', 4);
  if (!lab.hasLabPrivileges()) {
    process.stderr.write('mptcpdrill lab: the lab needs root to make network namespaces (CAP_SYS_ADMIN and CAP_NET_ADMIN): run it as root.\n');
    return 4;
  }
  const missing = lab.labToolsMissing();
  if (missing) {
    process.stderr.write(`mptcpdrill lab: ${missing}\n`);
    return 4;
  }
  try {
    if (action === 'down') {
      const r = lab.labDown(name);
      process.stdout.write(r.removed.length === 0
        ? `lab ${name}: nothing to remove\n`
        : `lab ${name} removed (namespaces ${r.removed.join(', ')}${r.killed.length ? `; ended processes ${r.killed.join(', ')}` : ''})\n`);
      return 0;
    }
    if (action === 'status' && values.name === undefined) return showAll(lab.listLabs().map((n) => lab.labStatus(n)), values.json === true);
    const status = action === 'up' ? lab.labUp(name) : lab.labStatus(name);
    if (values.json) process.stdout.write(JSON.stringify(status) + '\n');
    else process.stdout.write(describe(status, lab.listLabs()));
    return status.state === 'up' ? 0 : 1;
  } catch (err) {
    if (err instanceof lab.LabError) throw new CliError(err.message);
    throw err;
  }
}

type Status = import('../../targets/remote/lab.js').LabStatus;

/** `lab status` without --name: every lab (complete or not); 1 when there is none or one is not up. */
function showAll(all: Status[], json: boolean): number {
  if (json) process.stdout.write(JSON.stringify(all) + '\n');
  else if (all.length === 0) process.stdout.write('no lab here (mptcpdrill lab up makes one)\n');
  else for (const s of all) process.stdout.write(describe(s, []));
  return all.length > 0 && all.every((s) => s.state === 'up') ? 0 : 1;
}

function describe(s: Status, all: string[]): string {
  const others = all.filter((n) => n !== s.name);
  const tail = others.length ? `other labs: ${others.join(', ')}\n` : '';
  if (s.state === 'down') return `lab ${s.name} is down\n${tail}`;
  if (s.state === 'partial') return `lab ${s.name} is half built: ${s.problems.join('; ')}\nremove it with: mptcpdrill lab down --name ${s.name}\n${tail}`;
  return [
    `lab ${s.name} is up:`,
    `  tester ${s.tester}: ${s.iface} ${s.ours.join(', ')}`,
    `  stack  ${s.stack}: ${s.peerIface} ${s.stackAddresses.join(', ')} (this machine's kernel)`,
    ...(s.processes.length ? [`  processes in the lab: ${s.processes.join(', ')}`] : []),
    'run a script against it:',
    `  ${s.runCommand.join(' ')}`,
    'remove it:',
    `  mptcpdrill lab down --name ${s.name}`,
  ].join('\n') + '\n' + tail;
}

export const command: Command = {
  name: 'lab',
  summary: 'build, remove or show a veth lab for the remote target on this machine (root)',
  usage,
  run,
};
