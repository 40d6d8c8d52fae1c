/**
 * `npm run build` (also run by `prepare` at install and pack time, and by `npm test`): bundles the CLI's
 * entry points into dist/ with esbuild so an installed mdio-emu starts from compiled JavaScript. Splitting
 * keeps each subcommand in its own chunks, which cli/main.ts imports lazily, so `mdio-emu dtc` loads the
 * compiler and commander and nothing else. Type checking stays with `tsc --noEmit`.
 */
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
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
await buildTools();
// bin/launch.js compares this stamp with the sources' times to notice a stale build in a clone.
writeFileSync(join(outdir, '.built'), `${new Date().toISOString()}\n`);

/**
 * dist/tools/: what build systems start once per file, kept apart from the CLI's chunks. Each tool is one
 * CommonJS file with nothing but the compiler in it (a single file to read and compile at start, no module
 * graph to resolve), plus the warm tool server and, where a C compiler is found, the native client that
 * hands command lines to it (cli/standalone/dtc-client.c; docs/dtc.md). Without `cc` the native client is
 * left out and bin/mdio-emu-dtc.js remains the entry.
 */
async function buildTools(): Promise<void> {
  const tools = join(outdir, 'tools');
  mkdirSync(tools, { recursive: true });
  const entries = {
    dtc: 'cli/standalone/dtc.ts',
    fdtoverlay: 'cli/standalone/fdtoverlay.ts',
    'tool-server': 'cli/standalone/tool-server.ts',
  };
  await build({
    absWorkingDir: root,
    entryPoints: Object.entries(entries).map(([out, in_]) => ({ out, in: in_ })),
    outdir: tools,
    outExtension: { '.js': '.cjs' },
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
    mainFields: ['module', 'main'],
  });
  const key = createHash('sha256').update(root).update(process.execPath);
  for (const name of Object.keys(entries)) key.update(readFileSync(join(tools, `${name}.cjs`)));
  const client = join(tools, 'mdio-emu-dtc');
  const cc = spawnSync(
    process.env['CC'] ?? 'cc',
    [
      '-O2',
      '-Wall',
      `-DMDIO_EMU_NODE=${JSON.stringify(process.execPath)}`,
      `-DMDIO_EMU_KEY=${JSON.stringify(key.digest('hex').slice(0, 16))}`,
      '-o',
      client,
      join(root, 'cli/standalone/dtc-client.c'),
    ],
    { encoding: 'utf8' },
  );
  if (cc.status !== 0) {
    console.warn(
      `build: no native dtc client (${cc.error?.message ?? cc.stderr.trim()}); bin/mdio-emu-dtc.js remains the entry`,
    );
    return;
  }
  chmodSync(client, 0o755);
  // The client is both tools: it picks fdtoverlay by the name it is run as.
  symlinkSync('mdio-emu-dtc', join(tools, 'mdio-emu-fdtoverlay'));
}
