// Every command of the README, taken from README.md itself (so the README cannot rot) and run
// literally, as root (as CI runs), from the checkout itself (what the commands write there is
// removed afterwards).
//
// A few commands cannot run here; each is named below with the reason, and a command the README
// gains is run unless it is added there. The whole-corpus runs (minutes each) run when
// MPTCPDRILL_README_FULL=1; by default the test checks that their paths exist and their options
// parse, and runs everything else.

import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './helpers/paths.js';
import { hasStackTrace } from './helpers/cli.js';

/** Commands that cannot run here, with why. */
const NOT_HERE = new Map<string, string>([
  ['npm test', 'the command that runs this test'],
  ['vng --run arch/x86/boot/bzImage --user root -- "cd /path/to/mptcpdrill && npx mptcpdrill run --target kernel --format ktap test/scripts"', 'needs virtme-ng and a kernel build tree'],
  ['sudo npx mptcpdrill run --target remote --iface eth1 --remote-ip 10.0.0.2 [--local-ip 10.0.0.1] test/remote-scripts/server-capable.pkt', 'needs a stack on another host (test/remote-target.test.ts runs the remote target over a veth lab)'],
]);

/** Whole-corpus runs: minutes each; run with MPTCPDRILL_README_FULL=1. */
const LONG = new Set([
  'npm install && npx mptcpdrill run test/scripts',
  'sudo npx mptcpdrill run --target kernel -j 2 --format ktap test/scripts',
  'sudo npx mptcpdrill run --target kernel,ts -j 2 --format ktap test/scripts',
  'npx mptcpdrill mutate --format json -j 2 test/scripts > mutants.json',
]);
const full = process.env['MPTCPDRILL_README_FULL'] === '1';

/** The commands of the README's `sh` blocks: continuation lines joined, trailing comments cut. */
function readmeCommands(): string[] {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const out: string[] = [];
  for (const block of readme.matchAll(/```sh\n([\s\S]*?)```/g)) {
    const text = block[1]!.replace(/\\\n\s*/g, '');
    for (const raw of text.split('\n')) {
      const line = raw.replace(/\s+#.*$/, '').trim();
      if (line !== '') out.push(line);
    }
  }
  return out;
}

const commands = readmeCommands();
const isRoot = process.getuid?.() === 0;

// The README's `lab up` is followed by `lab down`; should a command between them fail, the lab goes anyway.
test.after.always(() => {
  for (const [, name] of commands.join('\n').matchAll(/ lab up --name (\S+)/g)) {
    spawnSync(process.execPath, [join(repoRoot, 'bin', 'mptcpdrill.js'), 'lab', 'down', '--name', name!], { stdio: 'ignore' });
  }
});

function sh(command: string, cwd: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', command], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_update_notifier: 'false' } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('close', (code) => resolve({ code, out }));
  });
}

test('the README has the commands this test knows how to treat', (t) => {
  t.true(commands.length >= 15, commands.join('\n'));
  for (const known of [...NOT_HERE.keys(), ...LONG]) t.true(commands.includes(known), `the README still says: ${known}`);
});

test('every path a README command names exists', (t) => {
  for (const command of commands) {
    if (NOT_HERE.has(command)) continue;
    for (const word of command.split(/\s+/)) {
      if (/^(test|scripts|docs)\//.test(word)) t.true(existsSync(join(repoRoot, word)), `${command}: ${word}`);
    }
  }
});

for (const command of commands) {
  if (NOT_HERE.has(command)) continue;
  const kernel = /--target (kernel|ts,kernel|kernel,ts)\b/.test(command) || /\binterop\b/.test(command);
  test.serial(`README: ${command}`, async (t) => {
    if ((command.startsWith('sudo ') || kernel) && !isRoot) return t.pass('needs root (CI runs as root)');
    if (LONG.has(command) && !full) {
      // The options parse and the paths exist: `--help` of the command, and the command line
      // itself with a filter that matches nothing is a usage error naming the filter, not an option.
      const probe = command.includes(' run ') && !command.startsWith('npm install') ? await sh(`${command.replace(/ > .*$/, '')} --filter no-such-script-here`, repoRoot) : undefined;
      if (probe) t.regex(probe.out, /--filter 'no-such-script-here' matches none/, probe.out);
      return t.pass('whole-corpus run: MPTCPDRILL_README_FULL=1 runs it');
    }
    t.timeout(15 * 60_000);
    // From the checkout itself: in a folder of links to it, npx takes the package for a folder
    // spec and runs its prepare script (tsc), rewriting dist/ under the tests running alongside.
    const dir = repoRoot;
    const outputs = ['caps', 'out.xml', 'mutants.json'].filter((f) => !existsSync(join(dir, f)));
    t.teardown(() => { for (const f of outputs) rmSync(join(dir, f), { recursive: true, force: true }); });
    const r = await sh(command, dir);
    t.false(hasStackTrace(r.out), r.out);
    // Kernel runs meet real timing: on a loaded machine a script may fail (1); anything else is
    // the command itself failing. mutate exits 1 when a mutant survives.
    const allowed = kernel && / test\/scripts( |$)/.test(`${command} `) ? [0, 1] : command.includes(' mutate ') ? [0, 1] : [0];
    t.true(allowed.includes(r.code ?? -1), `exit ${r.code}:\n${r.out.slice(-3000)}`);
    if (/--format ktap/.test(command)) t.regex(r.out, /^1\.\.\d+$/m);
    if (/--pcap-dir caps\//.test(command)) t.true(readdirSync(join(dir, 'caps')).length > 0, 'captures written');
    if (/--junit out\.xml/.test(command)) t.regex(readFileSync(join(dir, 'out.xml'), 'utf8'), /<testsuite/);
    if (/> mutants\.json/.test(command)) t.true(readFileSync(join(dir, 'mutants.json'), 'utf8').split('\n').filter(Boolean).every((l) => JSON.parse(l) !== null));
    return undefined;
  });
}
