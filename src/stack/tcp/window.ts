// Receive-window sizing as Linux derives it from tcp_rmem / rmem_max (Linux net/ipv4/tcp_output.c):
// wscale = clamp(ilog2(max(tcp_rmem[2], rmem_max)) - 15, 0, 14); the initial window is half of
// tcp_rmem[1] (tcp_win_from_space with the default scaling ratio) rounded down to the MSS.

export function windowScale(rmemMax: number, coreRmemMax: number): number {
  const space = Math.max(rmemMax, coreRmemMax);
  const ilog2 = Math.floor(Math.log2(Math.max(space, 1)));
  return Math.min(14, Math.max(0, ilog2 - 15));
}

/** Half the buffer: what Linux's default scaling ratio (50%) lets the window use. */
export const spaceFromBuffer = (bytes: number): number => Math.floor(bytes / 2);

export function initialReceiveWindow(rmemDefault: number, mss: number): number {
  const space = spaceFromBuffer(rmemDefault);
  return Math.max(mss, space - (space % mss));
}

/** Window field of a SYN or SYN/ACK: never scaled, at most 65535. */
export const synWindowField = (rcvWnd: number): number => Math.min(rcvWnd, 65535);
