// What a capture reader hands out: one entry per captured frame, with the IP packet already
// pulled out of whatever link-layer framing the capture used.

export interface CaptureFrame {
  /** 1-based position of the frame in the capture (what tshark calls frame.number). */
  index: number;
  /** Capture time in seconds since the epoch (fractional). NaN when the format has none (pcapng SPB). */
  time: number;
  /** The link type of the interface the frame came from (LINKTYPE_* value). */
  linktype: number;
  /** Length of the frame on the wire (may exceed the captured bytes when the snap length cut it). */
  originalLength: number;
  /** The IP packet (a view into the capture bytes, not a copy), when the frame carries one. */
  ip?: Uint8Array;
  /** Why the frame carries no IP packet, when `ip` is absent (ARP, unknown link type, ...). */
  notIp?: string;
}

export type CaptureFormat = 'pcap' | 'pcapng';

export interface CaptureReadResult {
  /** Undefined when the bytes are neither pcap nor pcapng. */
  format?: CaptureFormat;
  /** Every frame read before the end of the capture or the first damage. */
  frames: CaptureFrame[];
  /** One sentence describing the damage that stopped the reading; absent when the capture was whole. */
  error?: string;
}
