export type { CaptureFormat, CaptureFrame, CaptureReadResult } from './frame.js';
export { LinkType, extractIp } from './linktype.js';
export { describeFsError, readCapture, readCaptureFile } from './reader.js';
export { PcapWriter, encodePcap, pcapGlobalHeader, pcapRecord } from './writer.js';
