/**
 * `npm run bench`: runs every module in bench/ (other than this one) that exports
 * `run(): Promise<void>`, one after another, in file-name order. To add a benchmark, drop a
 * `bench/<name>.ts` exporting `run`; it should bound its own runtime and print ratios against a
 * reference measured in the same run. `npm run bench -- <name> ...` runs only the named modules.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
// Flags (`--breakdown`) are for the modules themselves, which read process.argv.
const only = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const modules = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'index.ts')
  .filter((f) => only.length === 0 || only.includes(f.replace(/\.ts$/, '')))
  .sort();

for (const file of modules) {
  const mod = (await import(pathToFileURL(join(here, file)).href)) as { run?: unknown };
  if (typeof mod.run !== 'function') continue;
  console.log(`## ${file.replace(/\.ts$/, '')}`);
  const started = performance.now();
  await (mod.run as () => Promise<void>)();
  console.log(`(${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
}
