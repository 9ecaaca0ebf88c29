/** Seconds since the capture's first frame, as a .pkt time; `*` when the frame has no time. */
export function formatFrameTime(time: number, first: number): string {
  if (Number.isNaN(time)) return '*';
  return (time - first).toFixed(6);
}
