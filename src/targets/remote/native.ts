// The two optional native modules, loaded on demand so a missing one is a clear
// TargetUnavailable instead of an import failure. Only the parts used here are typed.
import { createRequire } from 'node:module';
import { TargetUnavailable } from '../target.js';

export interface RawSocket {
  send(buf: Buffer, offset: number, length: number, address: string, after: (err: Error | null, bytes: number) => void): void;
  setOption(level: number, option: number, value: number): void;
  on(event: 'error', cb: (err: Error) => void): void;
  pauseRecv(): void;
  close(): void;
}
export interface RawSocketModule {
  createSocket(opts: { protocol: number; addressFamily: number }): RawSocket;
  AddressFamily: { IPv4: number; IPv6: number };
  SocketLevel: { SOL_SOCKET: number };
}

export interface CapHandle {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  on(event: 'packet', cb: (nbytes: number, truncated: boolean) => void): void;
  setMinBytes?(n: number): void;
  close(): void;
}
export interface CapModule {
  Cap: { new(): CapHandle; deviceList(): Array<{ name: string; addresses: Array<{ addr: string }> }> };
}

const require = createRequire(import.meta.url);

function load<T>(name: string, what: string): T {
  try {
    return require(name) as T;
  } catch (e) {
    throw new TargetUnavailable(`The remote target needs the npm module ${name} (${what}), which cannot be loaded here: ${(e as Error).message.split('\n')[0]}`);
  }
}

export const loadRawSocket = (): RawSocketModule => load<RawSocketModule>('raw-socket', 'raw IP injection');
export const loadCap = (): CapModule => load<CapModule>('cap', 'libpcap capture');
