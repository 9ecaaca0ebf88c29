// Runs tshark on a capture and returns, per frame, its TCP options tree (MPTCP nodes flattened).
import { spawnSync } from 'node:child_process';

export const tsharkAvailable = spawnSync('tshark', ['--version'], { encoding: 'utf8' }).status === 0;

export type TsharkFields = Record<string, string | string[]>;

export interface TsharkFrame {
  /** The raw bytes of the whole TCP option space as tshark saw them ("01:01:08:..."), if any. */
  optionBytes?: string;
  /** One flattened field map per MPTCP option, in order. */
  mptcp: TsharkFields[];
}

type Tree = { [key: string]: string | string[] | Tree | Tree[] };

/** Copies a node's fields into one map, lifting `*_tree` children (flag bits) to the top level. */
function flatten(node: Tree, into: TsharkFields = {}): TsharkFields {
  for (const [key, value] of Object.entries(node)) {
    if (key === '_ws.expert') continue;
    if (key.endsWith('_tree')) {
      if (!Array.isArray(value) && typeof value === 'object') flatten(value, into);
      continue;
    }
    if (typeof value === 'string' || (Array.isArray(value) && value.every((v) => typeof v === 'string'))) into[key] = value as string | string[];
  }
  return into;
}

export function tsharkFrames(file: string): TsharkFrame[] {
  const r = spawnSync('tshark', ['-r', file, '-T', 'json', '--no-duplicate-keys'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`tshark failed: ${r.stderr}`);
  const packets = JSON.parse(r.stdout) as Array<{ _source: { layers: { tcp?: Tree } } }>;
  return packets.map((p) => {
    const tcp = p._source.layers.tcp;
    const tree = tcp?.['tcp.options_tree'] as Tree | undefined;
    const node = tree?.['mptcp'];
    const nodes = node === undefined ? [] : Array.isArray(node) ? (node as Tree[]) : [node as Tree];
    const optionBytes = tcp?.['tcp.options'];
    return { ...(typeof optionBytes === 'string' ? { optionBytes } : {}), mptcp: nodes.map((n) => flatten(n)) };
  });
}
