// `run --target remote --lab NAME`: the remote target's flags and defines from a lab that
// `mptcpdrill lab up` built (src/targets/remote/lab.ts), this process moved into its tester
// namespace. Defines given with -D keep precedence over the lab's (they come later).
import { CliError } from './command.js';
import type { CliOptions } from '../script/options.js';

export interface LabFlags { iface: string; remoteIp: string; localIp: string }

export async function enterLabForRun(name: string, scriptOptions: CliOptions): Promise<LabFlags> {
  const lab = await import('../targets/remote/lab.js');
  if (!lab.hasLabPrivileges()) throw new CliError('--lab needs root, to enter the lab\'s network namespace.', 4);
  try {
    const run = lab.enterLab(name);
    const given = scriptOptions.define;
    scriptOptions.define = [...run.defines, ...(given === undefined ? [] : Array.isArray(given) ? given : [given])];
    return { iface: run.iface, remoteIp: run.remoteIp, localIp: run.localIp };
  } catch (err) {
    if (err instanceof lab.LabError) throw new CliError(err.message);
    throw err;
  }
}

/** Ends what the script left running in the lab's stack namespace, so the next run starts clean. */
export async function endLabApps(name: string): Promise<void> {
  const lab = await import('../targets/remote/lab.js');
  lab.killLabApps(name);
}
