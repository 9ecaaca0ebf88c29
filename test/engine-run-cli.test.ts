import test from 'ava';
import { writeFileSync } from 'node:fs';
import { TargetUnavailable } from '../src/targets/target.js';
import { runRun, type RunIo } from '../src/cli/commands/run.js';
import { UsageError } from '../src/cli/command.js';
import { checkText } from '../src/script/load.js';
import { runScript } from '../src/engine/run.js';
import { engineSettings } from '../src/engine/settings.js';
import { FakePackets } from './fakes/fake-packets.js';
import { ScriptedTarget } from './fakes/scripted-target.js';
import { pkt, scriptFile } from './fakes/run-helpers.js';

function capture(): RunIo & { outLines: string[]; errLines: string[] } {
  const outLines: string[] = [];
  const errLines: string[] = [];
  return { outLines, errLines, color: false, out: (l) => outLines.push(l), err: (l) => errLines.push(l) };
}

function file(text: string): string {
  const f = scriptFile();
  writeFileSync(f, text);
  return f;
}

test('run exits 0 on pass, 1 on fail, 2 on script errors, 4 on skip (bundled stack)', async (t) => {
  const pass = capture();
  t.is(await runRun(['--target', 'ts', file(pkt('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3', '+0 close(3) = 0'))], pass), 0, pass.errLines.join('\n'));
  t.regex(pass.outLines.at(-1)!, /^PASS /);

  const fail = capture();
  t.is(await runRun(['--target', 'ts', file(pkt('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3', '+0 close(3) = -1 EBADF (Bad file descriptor)'))], fail), 1);
  t.regex(fail.errLines.join('\n'), /test\.pkt:2:\d+: runtime error in close call: Expected result -1 but got 0/);

  const broken = capture();
  t.is(await runRun(['--target', 'ts', file(pkt('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3', '+0 frobnicate(3) = 0'))], broken), 2);
  t.regex(broken.errLines.join('\n'), /test\.pkt:2:\d+: error: /);

  // A key Linux 6.18 has but the stack does not model, set to another value: a skip naming it.
  const skip = capture();
  t.is(await runRun(['--target', 'ts', file(pkt('0 `sysctl -q net.ipv4.udp_early_demux=0`', '+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3'))], skip), 4);
  t.regex(skip.errLines.join('\n'), /^SKIP .*net\.ipv4\.udp_early_demux=0: the TypeScript stack does not model net\.ipv4\.udp_early_demux/m);
  // A key 6.18 does not have fails as sysctl fails there.
  const missing = capture();
  t.is(await runRun(['--target', 'ts', file(pkt('0 `sysctl -q net.ipv4.no_such_key=1`', '+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3'))], missing), 1);
  t.regex(missing.errLines.join('\n'), /cannot stat \/proc\/sys\/net\/ipv4\/no_such_key: No such file or directory/);
});

test('bad usage is a usage error', async (t) => {
  await t.throwsAsync(runRun(['--target', 'bsd', 'x.pkt'], capture()), { instanceOf: UsageError, message: /--target must be ts, kernel or remote/ });
  await t.throwsAsync(runRun(['--tolerance-scale', '0', 'x.pkt'], capture()), { instanceOf: UsageError });
  await t.throwsAsync(runRun([], capture()), { instanceOf: UsageError, message: /missing FILE/ });
});

test('a target that cannot run here is a skip; one that breaks while opening is an error', async (t) => {
  const text = pkt('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3');
  const loaded = checkText('x.pkt', text, { random: () => 0.5 });
  const opts = { settings: engineSettings(loaded.options!, 'ts'), packets: new FakePackets() };
  const unavailable = new ScriptedTarget();
  unavailable.open = async () => { throw new TargetUnavailable('no tun here.'); };
  const skipped = await runScript(loaded, unavailable, opts);
  t.is(skipped.status, 'skip');
  t.deepEqual(skipped.skipReasons, ['no tun here.']);
  t.true(unavailable.closed);
  const broken = new ScriptedTarget();
  broken.open = async () => { throw new Error('ip link failed'); };
  const errored = await runScript(loaded, broken, opts);
  t.is(errored.status, 'error');
  t.is(errored.failure?.message, 'cannot set up the ts target: ip link failed');
  const bad = checkText('y.pkt', pkt('0 nosuchcall(3) = 0'), {});
  t.is((await runScript(bad, new ScriptedTarget(), opts)).status, 'error');
});
