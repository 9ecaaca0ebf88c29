import { readFileSync } from 'node:fs';

/** The version in package.json (found relative to this file, in src/ or in dist/src/). */
export function packageVersion(): string {
  for (const up of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'mptcpdrill' && pkg.version) return pkg.version;
    } catch {
      // not at this level; try the next one
    }
  }
  return 'unknown';
}
