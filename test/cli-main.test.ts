import test from 'ava';
import { main, type MainIo } from '../src/cli/main.js';
import { CliError, UsageError, type Command, type CommandRegistry } from '../src/cli/command.js';

function capture(): MainIo & { outLines: string[]; errLines: string[] } {
  const outLines: string[] = [];
  const errLines: string[] = [];
  return { outLines, errLines, out: (s) => outLines.push(...s.split('\n')), err: (s) => errLines.push(...s.split('\n')) };
}

function fake(run: (argv: string[]) => Promise<number>): CommandRegistry {
  const command: Command = { name: 'fake', summary: 'a test command', usage: 'Usage: mptcpdrill fake [--x]', run };
  return { fake: async () => ({ command }) };
}

test.serial('a command receives the arguments after its name and its exit code is returned', async (t) => {
  let seen: string[] = [];
  const io = capture();
  t.is(await main(['fake', 'a', '--b'], fake(async (argv) => ((seen = argv), 7)), io), 7);
  t.deepEqual(seen, ['a', '--b']);
});

test.serial('--help after -- is an argument, not a help request', async (t) => {
  let seen: string[] = [];
  const io = capture();
  t.is(await main(['fake', '--', '--help'], fake(async (argv) => ((seen = argv), 0)), io), 0);
  t.deepEqual(seen, ['--', '--help']);
});

test.serial('an unexpected error is one sentence and exit 1; the stack only with MPTCPDRILL_DEBUG=1', async (t) => {
  const boom = fake(async () => {
    throw new TypeError('cannot read properties of undefined');
  });
  const before = process.env['MPTCPDRILL_DEBUG'];
  t.teardown(() => {
    if (before === undefined) delete process.env['MPTCPDRILL_DEBUG'];
    else process.env['MPTCPDRILL_DEBUG'] = before;
  });
  delete process.env['MPTCPDRILL_DEBUG'];
  const quiet = capture();
  t.is(await main(['fake'], boom, quiet), 1);
  t.deepEqual(quiet.errLines, ['mptcpdrill fake: internal error: cannot read properties of undefined (set MPTCPDRILL_DEBUG=1 for details)']);
  process.env['MPTCPDRILL_DEBUG'] = '1';
  const loud = capture();
  t.is(await main(['fake'], boom, loud), 1);
  t.true(loud.errLines.some((l) => /^\s+at /.test(l)));
});

test.serial('UsageError prints sentence and usage (exit 2); CliError prints its sentence with its exit code', async (t) => {
  const usage = capture();
  t.is(await main(['fake'], fake(async () => { throw new UsageError('option --x needs a value'); }), usage), 2);
  t.deepEqual(usage.errLines, ['mptcpdrill fake: option --x needs a value.', 'Usage: mptcpdrill fake [--x]']);
  const failure = capture();
  t.is(await main(['fake'], fake(async () => { throw new CliError('the target did not answer', 3); }), failure), 3);
  t.deepEqual(failure.errLines, ['mptcpdrill fake: the target did not answer']);
});

test.serial('a command whose module cannot load is one sentence; help still lists the others', async (t) => {
  const registry: CommandRegistry = {
    ...fake(async () => 0),
    broken: async () => {
      throw new Error("Cannot find module '/x/parse.js'");
    },
  };
  const run = capture();
  t.is(await main(['broken', 'a'], registry, run), 1);
  t.deepEqual(run.errLines, ["mptcpdrill broken: cannot load this command (Cannot find module '/x/parse.js'); run npm run build."]);
  const help = capture();
  t.is(await main(['--help'], registry, help), 0);
  t.true(help.outLines.includes('  fake    a test command'));
  t.true(help.outLines.some((l) => l.startsWith('  broken  (unavailable: cannot load this command')));
  t.is(await main(['fake'], registry, capture()), 0);
});
