// Everything a run needs besides the script and the target, built from resolved options: the
// packet engine (one per script: it holds connection state) and the runner's settings.

import type { ScriptOptions } from '../script/options.js';
import type { TargetName } from '../targets/target.js';
import { PacketEngine } from './packets/index.js';
import { engineSettings } from './settings.js';
import type { RunOptions, TraceEntry } from './types.js';

export interface PrepareExtras {
  /** Seed of every random choice of the packet engine (ports, keys, nonces). */
  seed: number;
  toleranceScale?: number;
  graceUs?: number;
  strictTail?: boolean;
  onTrace?: (entry: TraceEntry) => void;
}

export function prepareRun(opts: ScriptOptions, target: TargetName, extras: PrepareExtras): RunOptions {
  const packets = new PacketEngine({
    ipVersion: opts.ipVersion,
    localIp: opts.localIp,
    remoteIp: opts.remoteIp,
    bindPort: opts.bindPort,
    connectPort: opts.connectPort,
    tsEcrScaled: opts.tcpTsEcrScaled,
    tsTickUsecs: opts.tcpTsTickUsecs,
    toleranceUsecs: opts.toleranceUsecs,
    strictSegments: opts.strictSegments,
    seed: extras.seed,
  });
  return {
    settings: engineSettings(opts, target),
    packets,
    toleranceScale: extras.toleranceScale,
    graceUs: extras.graceUs,
    strictTail: extras.strictTail,
    onTrace: extras.onTrace,
  };
}
