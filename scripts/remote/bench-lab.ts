// The remote target's benchmark, inside the lab (run by harness.js --bench, in namespace A):
// injection→capture latency of a SYN to a closed port of the kernel in B (its RST is what we
// capture), and the per-script overhead of a full run around a short corpus script.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { encodeIp } from '../../src/wire/codec.js';
import { TcpFlag } from '../../src/wire/packet.js';
import { samplePacket } from '../../src/wire/sample-packets.js';
import { createRemoteTarget } from '../../src/targets/remote/remote-target.js';
import type { NetworkConfig } from '../../src/targets/target.js';
import { HELPERS_DIR, IFACE, LAB, VethLab } from './veth-lab.js';

const PROBES = 300;
const SCRIPT_RUNS = 5;
const CLOSED_PORT = 9;

const percentile = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
const round = (x: number, digits = 1): number => Number(x.toFixed(digits));

async function latency(): Promise<Record<string, number>> {
  const lab = await VethLab.create();
  const target = createRemoteTarget({ iface: IFACE, remoteIp: LAB.stack, localIp: LAB.ours });
  const net: NetworkConfig = { ipVersion: 'ipv4', localIp: LAB.stack, remoteIp: LAB.ours, remotePrefix: 32, gatewayIp: LAB.stack, netmaskIp: '255.255.255.0', mtu: 1500, device: IFACE };
  const rtt: number[] = [];
  const injectCall: number[] = [];
  try {
    await target.open(net);
    target.clock.start();
    for (let i = 0; i < PROBES; i++) {
      const p = samplePacket([], 4, 0, TcpFlag.SYN);
      p.ip.src = LAB.ours;
      p.ip.dst = LAB.stack;
      p.tcp!.srcPort = 20000 + i;
      p.tcp!.dstPort = CLOSED_PORT;
      const bytes = encodeIp(p);
      const t0 = target.clock.now();
      await target.inject(bytes);
      injectCall.push(target.clock.now() - t0);
      const got = await target.receive(t0 + 1_000_000);
      if (got) rtt.push(got.time - t0);
    }
  } finally {
    await target.close();
    lab.close();
  }
  // The first probe pays the ARP resolution; leave it out of the steady-state figures.
  const steady = rtt.slice(1);
  return {
    probes: PROBES,
    answered: rtt.length,
    inject_to_capture_us_p50: round(percentile(steady, 0.5)),
    inject_to_capture_us_p90: round(percentile(steady, 0.9)),
    inject_to_capture_us_max: round(Math.max(...steady)),
    first_probe_us_with_arp: round(rtt[0] ?? -1),
    inject_call_us_p50: round(percentile(injectCall, 0.5)),
  };
}

async function perScript(): Promise<Record<string, number | string>> {
  const { runInFreshLab } = await import('./harness.js');
  const file = join(HELPERS_DIR, '..', '..', 'test', 'remote-scripts', 'server-capable.pkt');
  let total = 0;
  let inRun = 0;
  let scripted = 0;
  for (let i = 0; i < SCRIPT_RUNS; i++) {
    const t0 = performance.now();
    const r = await runInFreshLab(file, i + 1);
    total += performance.now() - t0;
    if (r.status !== 'pass') throw new Error(`${file} did not pass: ${r.failure?.message ?? r.status}`);
    inRun += r.wallMs;
    scripted += r.scriptEndUs / 1000;
  }
  return {
    script: 'server-capable.pkt',
    script_time_ms: round(scripted / SCRIPT_RUNS),
    run_wall_ms: round(inRun / SCRIPT_RUNS),
    run_overhead_ms: round((inRun - scripted) / SCRIPT_RUNS),
    lab_setup_teardown_ms: round((total - inRun) / SCRIPT_RUNS),
  };
}

export async function benchInLab(): Promise<Record<string, number | string>> {
  return { ...(await latency()), ...(await perScript()) };
}
