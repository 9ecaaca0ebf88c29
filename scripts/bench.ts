// `npm run bench`: runs every benchmark module in scripts/bench/ (each exports
// `run(): Promise<Record<string, number | string>>`) and prints its figures. Speed is measured
// here, never asserted in tests. `npm run bench -- codec parse` runs only the named ones; modules
// that export `optIn = true` (long ones, e.g. kernel-stability) run only when named.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

type Figures = Record<string, number | string>;
interface BenchModule {
  run(): Promise<Figures>;
  /** Long benchmarks run only when named (`npm run bench -- kernel-stability`). */
  optIn?: boolean;
}

function isBenchModule(value: unknown): value is BenchModule {
  return typeof value === 'object' && value !== null && typeof (value as { run?: unknown }).run === 'function';
}

function formatValue(value: number | string): string {
  if (typeof value === 'string') return value;
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  return value.toLocaleString('en-US', { maximumFractionDigits: 3 });
}

async function main(): Promise<number> {
  const here = dirname(fileURLToPath(import.meta.url));
  const dir = join(here, 'bench');
  const wanted = new Set(process.argv.slice(2));
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.js'))
    .filter((f) => wanted.size === 0 || wanted.has(f.replace(/\.js$/, '')))
    .sort();
  let failures = 0;
  for (const file of files) {
    const name = file.replace(/\.js$/, '');
    const mod: unknown = await import(pathToFileURL(join(dir, file)).href);
    if (!isBenchModule(mod)) continue;
    if (mod.optIn && !wanted.has(name)) continue;
    process.stdout.write(`\n## ${name}\n`);
    try {
      const figures = await mod.run();
      const width = Math.max(...Object.keys(figures).map((k) => k.length));
      for (const [key, value] of Object.entries(figures)) {
        process.stdout.write(`  ${key.padEnd(width)}  ${formatValue(value)}\n`);
      }
    } catch (err) {
      failures++;
      process.stdout.write(`  failed: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  }
  return failures === 0 ? 0 : 1;
}

process.exitCode = await main();
