// `run --target remote --iface IF --remote-ip ADDR [--local-ip ADDR]` in one call: the target
// plus the script-option overrides that give the engine the right roles. The engine's
// `local_ip` is the stack under test and `remote_ip` the script's side, so for a remote stack
// local_ip = --remote-ip and remote_ip = our address (--local-ip or the interface's address).
// The overrides are command-line options (they beat the script's own `--local_ip` lines).
import { isIP } from 'node:net';
import type { CliOptions } from '../../script/options.js';
import type { Target } from '../target.js';
import { createRemoteTarget, interfaceAddress } from './remote-target.js';

export interface RemoteFlags {
  iface?: string;
  remoteIp?: string;
  localIp?: string;
}

export type RemoteSetup =
  | { ok: true; target: Target; overrides: CliOptions; localIp: string }
  | { ok: false; message: string };

/** Validates the flags; `message` is one sentence for a usage error (exit 2). */
export function remoteTargetFromFlags(flags: RemoteFlags): RemoteSetup {
  const { iface, remoteIp } = flags;
  if (!iface) return { ok: false, message: '--target remote needs --iface IF (the interface towards the stack under test)' };
  if (!remoteIp || !isIP(remoteIp)) return { ok: false, message: `--target remote needs --remote-ip ADDR, the stack's address${remoteIp ? ` (got '${remoteIp}')` : ''}` };
  if (flags.localIp !== undefined && isIP(flags.localIp) !== isIP(remoteIp)) {
    return { ok: false, message: `--local-ip must be an address of the same family as --remote-ip (got '${flags.localIp}')` };
  }
  const family = isIP(remoteIp) === 6 ? 6 : 4;
  const localIp = flags.localIp ?? interfaceAddress(iface, family);
  if (!localIp) return { ok: false, message: `interface ${iface} has no IPv${family} address here; give ours with --local-ip ADDR` };
  return {
    ok: true,
    localIp,
    target: createRemoteTarget({ iface, remoteIp, localIp }),
    overrides: remoteTargetOverrides(remoteIp, localIp),
  };
}

/** Script options for a remote stack at `stackIp` driven from `ourIp`. */
export function remoteTargetOverrides(stackIp: string, ourIp: string): CliOptions {
  const v6 = isIP(stackIp) === 6;
  return {
    local_ip: stackIp,
    // A host route: the prefix is the kernel target's routing concern, meaningless here.
    remote_ip: `${ourIp}/${v6 ? 128 : 32}`,
    ...(v6 ? { ip_version: 'ipv6' } : {}),
  };
}
