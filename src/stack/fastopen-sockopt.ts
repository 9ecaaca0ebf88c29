// The Fast Open socket options, with do_tcp_setsockopt / do_tcp_getsockopt's checks and errnos:
// TCP_FASTOPEN (a listener's queue of children not yet acknowledged), TCP_FASTOPEN_CONNECT,
// TCP_FASTOPEN_NO_COOKIE and TCP_FASTOPEN_KEY.
import type { SyscallResult } from '../targets/target.js';
import { decodeInt } from '../sys/structs.js';
import { TCP_FASTOPEN, TCP_FASTOPEN_CONNECT, TCP_FASTOPEN_KEY, TCP_FASTOPEN_NO_COOKIE, TFO_CLIENT_ENABLE } from './fastopen.js';
import type { Host } from './host.js';
import type { Socket } from './socket.js';
import { fail, intOpt, ok, opt } from './sockopt-value.js';

const KEY_LENGTH = 16;

export const isFastOpenOption = (name: number): boolean =>
  name === TCP_FASTOPEN || name === TCP_FASTOPEN_CONNECT || name === TCP_FASTOPEN_NO_COOKIE || name === TCP_FASTOPEN_KEY;

export function setFastOpenOption(host: Host, s: Socket, name: number, value: Uint8Array, optlen: number): SyscallResult {
  const fo = (s.settings.fastOpen ??= {});
  if (name === TCP_FASTOPEN_KEY) {
    // A primary key, or a primary and a backup key: raw siphash keys.
    if ((optlen !== KEY_LENGTH && optlen !== 2 * KEY_LENGTH) || value.length < optlen) return fail('EINVAL');
    fo.keys = optlen === KEY_LENGTH ? [value.slice(0, KEY_LENGTH)] : [value.slice(0, KEY_LENGTH), value.slice(KEY_LENGTH, 2 * KEY_LENGTH)];
    return ok;
  }
  if (optlen < 4 || value.length < 4) return fail('EINVAL');
  const v = decodeInt(value.subarray(0, 4));
  const closedOrListening = !s.conn;
  switch (name) {
    case TCP_FASTOPEN:
      if (v < 0 || !closedOrListening) return fail('EINVAL');
      fo.qlen = Math.min(v, host.sysctls.int('net.core.somaxconn'));
      return ok;
    case TCP_FASTOPEN_CONNECT:
      if (v < 0 || v > 1) return fail('EINVAL');
      if (!(host.sysctls.int('net.ipv4.tcp_fastopen') & TFO_CLIENT_ENABLE)) return fail('EOPNOTSUPP');
      if (s.conn || s.listener) return fail('EINVAL');
      fo.connect = v === 1;
      return ok;
    default: // TCP_FASTOPEN_NO_COOKIE
      if (v < 0 || v > 1 || !closedOrListening) return fail('EINVAL');
      fo.noCookie = v === 1;
      return ok;
  }
}

export function getFastOpenOption(host: Host, s: Socket, name: number, optlen: number): SyscallResult {
  if (optlen < 0) return fail('EINVAL');
  const fo = s.settings.fastOpen;
  const int = (v: number): SyscallResult => intOpt(v, optlen);
  switch (name) {
    case TCP_FASTOPEN: return int(fo?.qlen ?? 0);
    case TCP_FASTOPEN_CONNECT: return int(fo?.connect ? 1 : 0);
    case TCP_FASTOPEN_NO_COOKIE: return int(fo?.noCookie ? 1 : 0);
    default: {
      const keys = host.fastOpenKeys.keys(fo?.keys);
      const all = new Uint8Array(keys.length * KEY_LENGTH);
      keys.forEach((k, i) => all.set(k, i * KEY_LENGTH));
      return opt(all, optlen);
    }
  }
}
