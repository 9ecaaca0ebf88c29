// One packet line being handled: the surroundings, the transaction and the subflow it is on.

import type { PacketAction, TcpBody } from '../../script/ast.js';
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

/** The segment's sequence number relative to the sender's ISN (what `ssn` means). */
export function relativeSeq(line: Line): number {
  return (line.body.seqStart - (line.sub.scriptIsn ?? 0)) >>> 0;
}
