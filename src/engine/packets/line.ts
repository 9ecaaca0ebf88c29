// One packet line being handled: the surroundings, the transaction and the subflow it is on.

import type { PacketAction, TcpBody } from '../../script/ast.js';
import { TcpFlag } from '../../wire/packet.js';
import type { Env } from './env.js';
import type { Connection, Subflow, Txn } from './state.js';

export interface Line {
  env: Env;
  tx: Txn;
  action: PacketAction;
  body: TcpBody;
  sub: Subflow;
  conn: Connection;
  nowUs: number;
}

/**
 * The segment's sequence number relative to the sender's ISN (what `ssn` means): the script
 * writes its numbers relative to its ISN already, except on its SYN, which carries the ISN.
 */
export function relativeSeq(line: Line): number {
  return line.body.flags & TcpFlag.SYN ? 0 : line.body.seqStart >>> 0;
}
