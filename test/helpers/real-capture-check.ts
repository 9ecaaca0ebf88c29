// The checks a capture of real Linux MPTCP traffic must pass, shared by the committed-capture
// test and the test that generates a fresh capture in network namespaces.

import type { ExecutionContext } from 'ava';
import { readCapture } from '../../src/pcap/index.js';
import { decodeIp, encodeIp } from '../../src/wire/codec.js';
import { keyToken } from '../../src/wire/crypto.js';
import type { MptcpOption } from '../../src/wire/packet.js';

export interface RealCaptureSummary {
  frames: number;
  subtypes: Set<string>;
  keyTokens: Set<number>;
  joinTokens: number[];
}

export function checkRealCapture(t: ExecutionContext, bytes: Uint8Array): RealCaptureSummary {
  const read = readCapture(bytes);
  t.is(read.error, undefined, 'the capture reads to its end');
  t.true(read.frames.length > 0);
  const summary: RealCaptureSummary = { frames: read.frames.length, subtypes: new Set(), keyTokens: new Set(), joinTokens: [] };
  for (const frame of read.frames) {
    t.truthy(frame.ip, `frame ${frame.index} carries IP (${frame.notIp ?? ''})`);
    if (!frame.ip) continue;
    const pkt = decodeIp(frame.ip);
    t.deepEqual(pkt.errors, [], `frame ${frame.index} decodes without damage`);
    t.truthy(pkt.tcp, `frame ${frame.index} is TCP`);
    t.deepEqual(Buffer.from(encodeIp(pkt)), Buffer.from(frame.ip), `frame ${frame.index} re-encodes to the captured bytes`);
    for (const option of pkt.tcp?.options ?? []) {
      t.not(option.kind, 'malformed', `frame ${frame.index} has no malformed option`);
      if (option.kind !== 'mptcp') continue;
      const mptcp: MptcpOption = option;
      t.not(mptcp.subtype, 'unknown', `frame ${frame.index}: MPTCP option decoded (${mptcp.subtype === 'unknown' ? mptcp.reason : ''})`);
      summary.subtypes.add(mptcp.subtype);
      if (mptcp.subtype === 'mp_capable') {
        for (const key of [mptcp.senderKey, mptcp.receiverKey]) {
          if (key !== undefined) summary.keyTokens.add(keyToken(key, mptcp.version === 0 ? 0 : 1));
        }
      }
      if (mptcp.subtype === 'mp_join' && mptcp.form === 'syn' && mptcp.token !== undefined) summary.joinTokens.push(mptcp.token);
    }
  }
  for (const subtype of ['mp_capable', 'mp_join', 'dss', 'add_addr']) {
    t.true(summary.subtypes.has(subtype), `the capture holds at least one ${subtype}`);
  }
  t.true(summary.joinTokens.length > 0, 'at least one MP_JOIN SYN');
  for (const token of summary.joinTokens) {
    t.true(summary.keyTokens.has(token), `join token ${token.toString(16)} is the token of a key seen in MP_CAPABLE`);
  }
  return summary;
}
