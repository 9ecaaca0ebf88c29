// Benchmark of the capture reader and of `mptcpdrill decode`: writes a large capture of MPTCP
// traffic (two subflows, DSS on every segment) with our writer to a temp file, then measures
// reading it and decoding it through the CLI. The file is deleted afterwards.

import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PcapWriter, readCapture } from '../../src/pcap/index.js';
import { decodeIp, encodeIp } from '../../src/wire/codec.js';
import { TcpFlag, type IpPacket, type TcpOption } from '../../src/wire/packet.js';

const PACKETS = 200_000;
const PAYLOAD = new Uint8Array(100).fill(0x61);
const cli = fileURLToPath(new URL('../../../bin/mptcpdrill.js', import.meta.url));

function segment(i: number): IpPacket {
  const subflow = i % 2;
  const fromClient = (i >> 1) % 2 === 0;
  const [client, server] = subflow ? ['10.0.2.1', '10.0.2.2'] : ['10.0.1.1', '10.0.1.2'];
  const n = Math.floor(i / 4);
  const options: TcpOption[] = [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamp', val: 1000 + i, ecr: 900 + i }];
  if (fromClient) {
    options.push({ kind: 'mptcp', subtype: 'dss', dataFin: false, dataAck64: false, dsn64: true, dataAck: 1n, dsn: 1000n + BigInt(i * 100), ssn: 1 + n * 100, dll: 100 });
    options.push({ kind: 'nop' }, { kind: 'nop' });
  } else {
    options.push({ kind: 'mptcp', subtype: 'dss', dataFin: false, dataAck64: true, dsn64: false, dataAck: 1100n + BigInt(i * 100) });
  }
  return {
    ip: { version: 4, tos: 0, id: i & 0xffff, fragment: 0x4000, ttl: 64, protocol: 6, src: fromClient ? client : server, dst: fromClient ? server : client, options: new Uint8Array(0) },
    tcp: {
      srcPort: fromClient ? 40000 + subflow : 5201,
      dstPort: fromClient ? 5201 : 40000 + subflow,
      seq: fromClient ? (1 + n * 100) >>> 0 : 1,
      ack: fromClient ? 1 : (1 + (n + 1) * 100) >>> 0,
      flags: TcpFlag.ACK | (fromClient ? TcpFlag.PSH : 0),
      window: 502,
      urgent: 0,
      options,
      payload: fromClient ? PAYLOAD : new Uint8Array(0),
    },
    errors: [],
  };
}

function seconds(fn: () => void): number {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function cliWallTime(args: string[]): number {
  const devNull = openSync('/dev/null', 'w');
  try {
    let result: SpawnSyncReturns<string> | undefined;
    const time = seconds(() => {
      result = spawnSync(process.execPath, [cli, 'decode', ...args], { stdio: ['ignore', devNull, 'pipe'], encoding: 'utf8' });
    });
    if (result?.status !== 0) throw new Error(`mptcpdrill decode ${args.join(' ')} exited with ${result?.status}: ${result?.stderr}`);
    return time;
  } finally {
    closeSync(devNull);
  }
}

export async function run(): Promise<Record<string, number | string>> {
  const dir = mkdtempSync(join(tmpdir(), 'mptcpdrill-bench-decode-'));
  try {
    const file = join(dir, 'big.pcap');
    const writeTime = seconds(() => {
      const writer = PcapWriter.open(file);
      for (let i = 0; i < PACKETS; i++) writer.append(encodeIp(segment(i)), 1_700_000_000 + i * 1e-4);
      writer.close();
    });
    const bytes = readFileSync(file);
    let frames = 0;
    const readTime = seconds(() => {
      frames = readCapture(bytes).frames.length;
    });
    if (frames !== PACKETS) throw new Error(`read ${frames} frames, wrote ${PACKETS}`);
    const capture = readCapture(bytes);
    const decodeTime = seconds(() => {
      for (const f of capture.frames) decodeIp(f.ip!);
    });
    return {
      packets: PACKETS,
      capture_mb: Math.round((statSync(file).size / 1e6) * 10) / 10,
      encode_and_write_packets_per_s: Math.round(PACKETS / writeTime),
      reader_frames_per_s: Math.round(PACKETS / readTime),
      decodeIp_packets_per_s: Math.round(PACKETS / decodeTime),
      cli_decode_text_s: Math.round(cliWallTime([file]) * 1000) / 1000,
      cli_decode_relative_s: Math.round(cliWallTime(['--relative', file]) * 1000) / 1000,
      cli_decode_json_s: Math.round(cliWallTime(['--json', file]) * 1000) / 1000,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
