// The in-kernel path manager's configuration (`ip mptcp endpoint` / `ip mptcp limits`).

export type EndpointFlag = 'signal' | 'subflow' | 'backup' | 'fullmesh';

export interface Endpoint {
  id: number;
  address: string;
  port: number | undefined;
  flags: EndpointFlag[];
  dev: string | undefined;
}

export const MAX_ENDPOINTS = 8;
export const MAX_LIMIT = 8;

export class PathManagerConfig {
  endpoints: Endpoint[] = [];
  subflows = 2;
  addAddrAccepted = 0;

  /** Adds an endpoint; returns an error sentence (as `ip` prints it) or undefined. */
  add(e: Omit<Endpoint, 'id'> & { id: number | undefined }): string | undefined {
    // iproute2 refuses the combination itself (6.18's netlink would too).
    if (e.flags.includes('signal') && e.flags.includes('fullmesh')) return 'Error: argument "fullmesh" is wrong: flags mustn\'t have both signal and fullmesh';
    if (this.endpoints.length >= MAX_ENDPOINTS) return 'Error: too many endpoints.';
    if (this.endpoints.some((x) => x.address === e.address && x.port === e.port)) return 'Error: address already exists.';
    let id = e.id;
    if (id === undefined) { id = 1; while (this.endpoints.some((x) => x.id === id)) id++; }
    else if (this.endpoints.some((x) => x.id === id)) return `Error: endpoint id ${id} already in use.`;
    this.endpoints.push({ ...e, id });
    return undefined;
  }

  remove(id: number | undefined, address: string | undefined): string | undefined {
    const i = this.endpoints.findIndex((x) => (id !== undefined ? x.id === id : x.address === address));
    if (i < 0) return 'Error: endpoint not found.';
    this.endpoints.splice(i, 1);
    return undefined;
  }

  flush(): void {
    this.endpoints = [];
  }

  show(): string {
    return this.endpoints
      .map((e) => [e.address, ...(e.port !== undefined ? ['port', String(e.port)] : []), 'id', String(e.id), ...e.flags, ...(e.dev ? ['dev', e.dev] : [])].join(' ') + ' \n')
      .join('');
  }

  showLimits(): string {
    return `add_addr_accepted ${this.addAddrAccepted} subflows ${this.subflows} \n`;
  }

  get signalCount(): number {
    return this.endpoints.filter((e) => e.flags.includes('signal')).length;
  }
}
