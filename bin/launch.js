// Shared by the bin/ entries: runs an entry point compiled to dist/ by `npm run build` (run by `prepare` at
// install and pack time). Only in a clone without a current build does it fall back to running the
// TypeScript sources through tsx, and it says so, since that costs about a second per start.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The newest modification time under the source folders (a clone has them; an installed package does not). */
function newestSource() {
  let newest = 0;
  for (const dir of ['cli', 'src', 'emulator']) {
    for (const entry of readdirSync(join(root, dir), { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
      const mtime = statSync(join(entry.parentPath ?? entry.path, entry.name)).mtimeMs;
      if (mtime > newest) newest = mtime;
    }
  }
  return newest;
}

function staleReason() {
  const stamp = join(root, 'dist', '.built');
  if (!existsSync(stamp)) return 'no build in dist/';
  if (existsSync(join(root, 'cli', 'index.ts')) && newestSource() > statSync(stamp).mtimeMs)
    return 'dist/ is older than the sources';
  return undefined;
}

/** Imports `entry` (a path like 'cli/index', without extension) from dist/, or its sources through tsx. */
export async function launch(entry) {
  const reason = staleReason();
  if (reason === undefined) return import(pathToFileURL(join(root, 'dist', `${entry}.js`)).href);
  if (!existsSync(join(root, `${entry}.ts`))) throw new Error(`mdio-emu: ${reason} and no sources to run`);
  process.stderr.write(
    `mdio-emu: ${reason}; running the TypeScript sources through tsx (slow start; npm run build)\n`,
  );
  const { register } = await import('tsx/esm/api');
  register();
  return import(pathToFileURL(join(root, `${entry}.ts`)).href);
}
