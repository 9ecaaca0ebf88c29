// `mptcpdrill decode FILE`: prints every TCP packet of a capture as a .pkt-style line (or as
// JSON), MPTCP options decoded. Damaged captures print what came before the damage, then one
// sentence, exit 2.

import { parseCommandArgs, requirePositionals } from '../args.js';
import { CliError, UsageError, type Command } from '../command.js';
import { LineSink } from '../output.js';
import { RelativeTracker } from '../decode/relative.js';
import { formatFrameTime } from '../decode/time.js';
import { describeFsError, linkTypeSupported, openCaptureFile, SUPPORTED_LINK_TYPES, type CaptureStream } from '../../pcap/index.js';
import { decodeIp } from '../../wire/codec.js';
import { packetToJson } from '../../wire/json.js';
import type { IpPacket } from '../../wire/packet.js';
import { renderPacket, type RenderOptions } from '../../wire/render.js';

const usage = `Usage: mptcpdrill decode FILE [--json] [--relative] [-v]

Prints each TCP packet of a pcap or pcapng capture as one .pkt-style line:
time (seconds since the first frame), addresses:ports, flags, seq, ack, window and
options, with MPTCP options decoded.

Options:
  --json        one JSON object per line per TCP packet (wire values)
  --relative    seq/ack relative to each subflow's ISN, DSN/DATA_ACK relative to each
                connection's IDSN (learned from SYNs, MP_CAPABLE keys and MP_JOIN tokens)
  -v, --verbose say on stderr how many frames were not TCP
  -h, --help    this text

The capture is read as a stream, in bounded memory whatever its size.

Exit status: 0 when the whole capture was read; 2 for bad usage, a missing file, a capture
that is not one or is damaged (packets before the damage are still printed), or frames of a
link type decode cannot read (Ethernet, raw IP, BSD loopback and Linux cooked are read).`;

function relativeOptions(tracker: RelativeTracker, pkt: IpPacket): RenderOptions {
  const bases = tracker.observe(pkt);
  // A base of 0 leaves a number as it is: what is not known yet prints absolute.
  return {
    isn: { sender: bases.seqIsn ?? 0, receiver: bases.ackIsn ?? 0 },
    idsn: { sender: bases.dsnIdsn ?? 0n, receiver: bases.dataAckIdsn ?? 0n },
  };
}

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    json: { type: 'boolean' },
    relative: { type: 'boolean' },
    verbose: { type: 'boolean', short: 'v' },
  });
  const [file] = requirePositionals(positionals, ['the capture FILE to decode']);
  if (values.json && values.relative) throw new UsageError('--relative applies to text output; --json always prints wire values');

  // The capture is read as a stream through a bounded window: a file of any size takes bounded
  // memory, and the first lines print before the end is read.
  let capture: CaptureStream;
  try {
    capture = openCaptureFile(file!);
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${describeFsError(err)}`);
  }
  if (capture.format === undefined) throw new CliError(`${file}: ${capture.error}`);

  const sink = new LineSink();
  const tracker = values.relative ? new RelativeTracker() : undefined;
  let firstTime: number | undefined;
  let frames = 0;
  let notIp = 0;
  let notTcp = 0;
  /** Frames of link types decode cannot read, by link type. */
  const unsupported = new Map<number, number>();
  try {
    for (const frame of capture) {
      if (sink.broken) break;
      frames++;
      if (firstTime === undefined && !Number.isNaN(frame.time)) firstTime = frame.time;
      if (!frame.ip) {
        notIp++;
        if (!linkTypeSupported(frame.linktype)) unsupported.set(frame.linktype, (unsupported.get(frame.linktype) ?? 0) + 1);
        continue;
      }
      const pkt = decodeIp(frame.ip);
      if (!pkt.tcp) {
        notTcp++;
        continue;
      }
      if (values.json) {
        await sink.line(JSON.stringify(packetToJson(pkt, frame.index, frame.time)));
      } else {
        const options = tracker ? relativeOptions(tracker, pkt) : {};
        await sink.line(`${formatFrameTime(frame.time, firstTime ?? 0)} ${renderPacket(pkt, options)}`);
      }
    }
  } catch (err) {
    await sink.flush();
    throw new CliError(`cannot read ${file}: ${describeFsError(err)}`);
  }
  await sink.flush();
  if (values.verbose) {
    const skipped = notIp + notTcp;
    process.stderr.write(`${frames} frames, ${frames - skipped} TCP; skipped ${notIp} non-IP and ${notTcp} non-TCP frames\n`);
  }
  const problems: string[] = [];
  if (capture.error) problems.push(frames === 0 ? capture.error : `${capture.error} (after ${frames} frames)`);
  // Frames whose framing decode cannot read are not "no TCP here": say so, exit 2.
  for (const [linktype, count] of unsupported) {
    problems.push(`${count} ${count === 1 ? 'frame has' : 'frames have'} link type ${linktype}, which decode cannot read (it reads ${SUPPORTED_LINK_TYPES})`);
  }
  if (problems.length > 0) throw new CliError(`${file}: ${problems.join('; ')}`);
  return 0;
  return 0;
}

export const command: Command = {
  name: 'decode',
  summary: 'print the TCP/MPTCP packets of a pcap/pcapng capture as .pkt lines or JSON',
  usage,
  run,
};
