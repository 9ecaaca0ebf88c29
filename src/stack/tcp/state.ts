// TCP states with the numbers Linux reports in tcpi_state.

export type TcpState =
  | 'CLOSED' | 'LISTEN' | 'SYN_SENT' | 'SYN_RECV' | 'ESTABLISHED' | 'FIN_WAIT1' | 'FIN_WAIT2'
  | 'CLOSE_WAIT' | 'CLOSING' | 'LAST_ACK' | 'TIME_WAIT';

export const LINUX_STATE_NUMBER: Record<TcpState, number> = {
  ESTABLISHED: 1, SYN_SENT: 2, SYN_RECV: 3, FIN_WAIT1: 4, FIN_WAIT2: 5, TIME_WAIT: 6,
  CLOSED: 7, CLOSE_WAIT: 8, LAST_ACK: 9, LISTEN: 10, CLOSING: 11,
};

/** States in which the peer may still send us data. */
export const canReceive = (s: TcpState): boolean => s === 'ESTABLISHED' || s === 'FIN_WAIT1' || s === 'FIN_WAIT2';

/** States in which we may still send data. */
export const canSend = (s: TcpState): boolean => s === 'ESTABLISHED' || s === 'CLOSE_WAIT';

export const isSynchronized = (s: TcpState): boolean => s !== 'CLOSED' && s !== 'LISTEN' && s !== 'SYN_SENT';
