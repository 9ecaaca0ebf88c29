// Packets the stack sent, in order: read from the target, decoded once, traced as they are seen
// (so -v and --pcap show them when they happen), and handed to outbound lines one by one.

import type { SentPacket, Target, Usecs } from '../targets/target.js';
import { decodeIp } from '../wire/codec.js';
import type { IpPacket } from '../wire/packet.js';
import type { PacketPort } from './packet-port.js';
import { sec } from './timeline.js';
import type { TraceEntry } from './types.js';

export interface Observed {
  sent: SentPacket;
  live: IpPacket;
  entry: Extract<TraceEntry, { kind: 'outbound' }>;
}

export class Inbox {
  private readonly queue: Observed[] = [];
  /** A packet read from the target ahead of the ones before it in time (drainBefore). */
  private held: SentPacket | undefined;

  constructor(
    private readonly target: Target,
    private readonly packets: PacketPort,
    private readonly record: (e: TraceEntry) => void,
    private readonly render: (live: IpPacket) => string,
  ) {}

  /** Reads what the stack has sent so far without waiting. */
  async drain(): Promise<void> {
    for (;;) {
      const sent = this.takeHeld() ?? await this.target.receive(this.target.clock.now());
      if (!sent) return;
      this.queue.push(this.observe(sent));
    }
  }

  /**
   * Reads what the stack sent before script time `t` without waiting, so that it is traced before
   * something that happened at `t` (a packet injected by the target's own thread); what it sent
   * from `t` on stays unread.
   */
  async drainBefore(t: Usecs): Promise<void> {
    for (;;) {
      const sent = this.takeHeld() ?? await this.target.receive(this.target.clock.now());
      if (!sent) return;
      if (sent.time >= t) {
        this.held = sent;
        return;
      }
      this.queue.push(this.observe(sent));
    }
  }

  /** The oldest packet not handed out yet, waiting until script time `deadline` at most. */
  async next(deadline: Usecs): Promise<Observed | null> {
    const queued = this.queue.shift();
    if (queued) return queued;
    const sent = this.takeHeld() ?? await this.target.receive(deadline);
    return sent ? this.observe(sent) : null;
  }

  private takeHeld(): SentPacket | undefined {
    const h = this.held;
    this.held = undefined;
    return h;
  }

  /** Test packets seen but never handed to a line (shown in failure reports). */
  unmatched(): string[] {
    return this.queue.filter((o) => o.entry.testTraffic).map((o) => `${sec(o.sent.time)} ${o.entry.text}`);
  }

  private observe(sent: SentPacket): Observed {
    const live = decodeIp(sent.bytes);
    let testTraffic: boolean;
    try {
      testTraffic = this.packets.isTestTraffic(live);
    } catch {
      testTraffic = true;
    }
    const entry: Observed['entry'] = { kind: 'outbound', time: sent.time, bytes: sent.bytes, text: this.render(live), testTraffic };
    this.record(entry);
    return { sent, live, entry };
  }
}
