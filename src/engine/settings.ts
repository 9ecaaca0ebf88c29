// From resolved script options (src/script/options.ts) to what the runner and the target need.

import { optionEnvironment, type ScriptOptions } from '../script/options.js';
import type { NetworkConfig, TargetName } from '../targets/target.js';
import type { EngineSettings } from './types.js';

/** Name of the test interface the stack sees; upstream's, so suite helper scripts find it. */
export const TEST_DEVICE = 'tun0';

export function networkConfig(opts: ScriptOptions, device = TEST_DEVICE): NetworkConfig {
  return {
    ipVersion: opts.ipVersion,
    localIp: opts.localIp,
    remoteIp: opts.remoteIp,
    remotePrefix: opts.remotePrefix,
    gatewayIp: opts.gatewayIp,
    netmaskIp: opts.netmaskIp,
    mtu: opts.mtu,
    device,
  };
}

export function engineSettings(opts: ScriptOptions, target: TargetName, device = TEST_DEVICE): EngineSettings {
  return {
    net: networkConfig(opts, device),
    bindPort: opts.bindPort,
    connectPort: opts.connectPort,
    isAnyIp: opts.isAnyip,
    toleranceUsecs: opts.toleranceUsecs,
    tolerancePercent: opts.tolerancePercent,
    nonFatal: opts.nonFatal,
    codeCommand: opts.codeCommand,
    // packetdrill splits --init_scripts at commas and runs each with system() before the script.
    initScripts: (opts.initScripts ?? '').split(',').map((c) => c.trim()).filter((c) => c !== ''),
    // PACKETDRILL_PID (google): the process running the script, the parent of its shell lines
    // ($PPID there); suite helpers name files after it (/tmp/sysctl_restore_${PACKETDRILL_PID}.sh).
    shellEnv: { ...optionEnvironment(opts, { localDev: device, target }), PACKETDRILL_PID: String(process.pid) },
  };
}
