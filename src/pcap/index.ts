export type { CaptureFormat, CaptureFrame, CaptureReadResult } from './frame.js';
export { LinkType, SUPPORTED_LINK_TYPES, extractIp, linkTypeSupported } from './linktype.js';
export { CaptureStream, describeFsError, openCapture, openCaptureFile, readCapture, readCaptureFile } from './reader.js';
export { FileSource, memorySource, type ByteSource } from './source.js';
export { PcapWriter, encodePcap, pcapGlobalHeader, pcapRecord } from './writer.js';
