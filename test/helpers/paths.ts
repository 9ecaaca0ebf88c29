// Paths of repository files, from the compiled test's location (dist/test/helpers/).
import { fileURLToPath } from 'node:url';

const repo = (relative: string): string => fileURLToPath(new URL(`../../../${relative}`, import.meta.url));

export const repoRoot = repo('');
export const cliPath = repo('bin/mptcpdrill.js');
export const realCapturePath = repo('test/captures/mptcp-two-subflows.pcap');
export const captureScriptPath = repo('scripts/capture-real-traffic.sh');
