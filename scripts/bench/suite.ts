// Suite wall time with -j1 and -j2 on the bundled stack (the whole corpus, in-process, and a
// subset in child processes for comparison: the reason in-process is the default there) and on
// the kernel (a subset: every kernel script pays for a process and a namespace), and the ratios.
import { fileURLToPath } from 'node:url';
import { runSuiteCommand } from '../../src/suite/cli.js';

const corpus = fileURLToPath(new URL('../../../test/scripts', import.meta.url));
const KERNEL_SUBSET = 'tcp/handshake/';

async function wall(args: string[]): Promise<{ ms: number; summary: string }> {
  let out = '';
  const began = performance.now();
  await runSuiteCommand([...args, '--format', 'json', corpus], { out: (s) => { out += s; }, err: () => undefined, tty: false, color: false });
  const ms = performance.now() - began;
  const last = JSON.parse(out.trim().split('\n').at(-1)!) as { totals: Record<string, number>; ran: number };
  const t = last.totals;
  return { ms, summary: `${last.ran} scripts: ${t['pass']} pass, ${t['fail']} fail, ${t['skip']} skip, ${t['error']} error` };
}

export async function run(): Promise<Record<string, number | string>> {
  const figures: Record<string, number | string> = {};
  const ts1 = await wall(['--target', 'ts', '-j', '1']);
  const ts2 = await wall(['--target', 'ts', '-j', '2']);
  figures['ts corpus -j1 (ms)'] = Math.round(ts1.ms);
  figures['ts corpus -j2 (ms)'] = Math.round(ts2.ms);
  figures['ts corpus j1/j2'] = ts1.ms / ts2.ms;
  figures['ts corpus outcome'] = ts2.summary;
  const tsProc = await wall(['--target', 'ts', '-j', '2', '--ts-processes', '--filter', KERNEL_SUBSET]);
  const tsIn = await wall(['--target', 'ts', '-j', '2', '--filter', KERNEL_SUBSET]);
  figures[`ts ${KERNEL_SUBSET} -j2 child processes (ms)`] = Math.round(tsProc.ms);
  figures[`ts ${KERNEL_SUBSET} -j2 in-process (ms)`] = Math.round(tsIn.ms);
  figures['ts processes/in-process'] = tsProc.ms / tsIn.ms;
  const k1 = await wall(['--target', 'kernel', '-j', '1', '--filter', KERNEL_SUBSET]);
  const k2 = await wall(['--target', 'kernel', '-j', '2', '--filter', KERNEL_SUBSET]);
  figures[`kernel ${KERNEL_SUBSET} -j1 (ms)`] = Math.round(k1.ms);
  figures[`kernel ${KERNEL_SUBSET} -j2 (ms)`] = Math.round(k2.ms);
  figures['kernel j1/j2'] = k1.ms / k2.ms;
  figures['kernel outcome'] = k2.summary;
  return figures;
}
