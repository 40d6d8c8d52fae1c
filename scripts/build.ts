/**
 * `npm run build` (also run by `prepare` at install and pack time, and by `npm test`): bundles the CLI's
 * entry points into dist/ with esbuild so an installed mdio-emu starts from compiled JavaScript. Splitting
 * keeps each subcommand in its own chunks, which cli/main.ts imports lazily, so `mdio-emu dtc` loads the
 * compiler and commander and nothing else. Type checking stays with `tsc --noEmit`.
 */
import { build } from 'esbuild';
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist');

rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: [
    'cli/index.ts',
    'cli/standalone/dtc.ts',
    'cli/standalone/fdtoverlay.ts',
    'cli/standalone/qemu-wrapper.ts',
  ],
  outbase: '.',
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: 'linked',
  logLevel: 'warning',
  // jsonc-parser's `main` is a UMD build whose require() of its own files esbuild cannot follow; its `module`
  // entry is plain ESM.
  mainFields: ['module', 'main'],
  // commander is CommonJS; its require() of node builtins needs a real require inside an ES module bundle.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
});
// bin/launch.js compares this stamp with the sources' times to notice a stale build in a clone.
writeFileSync(join(outdir, '.built'), `${new Date().toISOString()}\n`);
