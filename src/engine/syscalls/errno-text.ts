// strerror for the errno values socket tests meet, so failure lines read like upstream's
// ("errno 111 (Connection refused)") without calling into libc.

import { errnoName, errnoValue } from '../../sys/symbols.js';

const STRERROR: Record<string, string> = {
  EPERM: 'Operation not permitted',
  ENOENT: 'No such file or directory',
  EINTR: 'Interrupted system call',
  EIO: 'Input/output error',
  EBADF: 'Bad file descriptor',
  EAGAIN: 'Resource temporarily unavailable',
  ENOMEM: 'Cannot allocate memory',
  EACCES: 'Permission denied',
  EFAULT: 'Bad address',
  EBUSY: 'Device or resource busy',
  EEXIST: 'File exists',
  EINVAL: 'Invalid argument',
  EMFILE: 'Too many open files',
  ENOSPC: 'No space left on device',
  EPIPE: 'Broken pipe',
  ERANGE: 'Numerical result out of range',
  ENOSYS: 'Function not implemented',
  ENOPROTOOPT: 'Protocol not available',
  ENOTSOCK: 'Socket operation on non-socket',
  EDESTADDRREQ: 'Destination address required',
  EMSGSIZE: 'Message too long',
  EPROTOTYPE: 'Protocol wrong type for socket',
  EPROTONOSUPPORT: 'Protocol not supported',
  EOPNOTSUPP: 'Operation not supported',
  EAFNOSUPPORT: 'Address family not supported by protocol',
  EADDRINUSE: 'Address already in use',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  ENETDOWN: 'Network is down',
  ENETUNREACH: 'Network is unreachable',
  ECONNABORTED: 'Software caused connection abort',
  ECONNRESET: 'Connection reset by peer',
  ENOBUFS: 'No buffer space available',
  EISCONN: 'Transport endpoint is already connected',
  ENOTCONN: 'Transport endpoint is not connected',
  ESHUTDOWN: 'Cannot send after transport endpoint shutdown',
  ETIMEDOUT: 'Connection timed out',
  ECONNREFUSED: 'Connection refused',
  EHOSTUNREACH: 'No route to host',
  EALREADY: 'Operation already in progress',
  EINPROGRESS: 'Operation now in progress',
  ENODATA: 'No data available',
};

/** `111 (Connection refused)` for 'ECONNREFUSED', as upstream prints an errno. */
export function errnoText(name: string): string {
  const canonical = errnoName(errnoValue(name) ?? -1);
  const value = errnoValue(name);
  const text = STRERROR[name] ?? STRERROR[canonical] ?? name;
  return `${value ?? '?'} (${text})`;
}

/** True when two errno names denote the same value (EAGAIN and EWOULDBLOCK). */
export function sameErrno(a: string, b: string): boolean {
  const va = errnoValue(a);
  const vb = errnoValue(b);
  return va !== undefined ? va === vb : a === b;
}
