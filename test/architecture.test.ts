import test from 'ava';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The house's shape, checked: every import in src/ points down the layers below (or within its own folder),
 * and no module imports itself back through others. A new arrow that runs back up fails here with the file
 * and the import named.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');

/** Lowest first: a folder may import only from folders before it (and clock.ts, at the very bottom). */
const LAYERS = [
  'clock.ts',
  'package-root.ts',
  'diagnostics',
  'io',
  'dts',
  'regs',
  'phy',
  'mdio',
  'bindings',
  'i2c',
  'pse',
  'net',
  'usbredir',
  'replay',
  'board',
  'protocol',
  'scenario',
  'qemu',
  'lava',
];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Relative imports of a file; `runtime` leaves out `import type` (no edge at run time, so no cycle). */
function importsOf(file: string, runtime = false): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\b(\s+type\b)?[^;]*?from '(\.[^']+)'/gm)]
    .filter((m) => !runtime || m[1] === undefined)
    .map((m) => resolve(dirname(file), (m[2] ?? '').replace(/\.js$/, '.ts')));
}

const layerOf = (file: string): string => relative(src, file).split('/')[0] ?? '';

/** Imports that point to a higher layer, as `file -> target`. */
function upward(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const out: string[] = [];
  for (const [file, targets] of graph) {
    const from = LAYERS.indexOf(layerOf(file));
    for (const target of targets)
      if (LAYERS.indexOf(layerOf(target)) > from)
        out.push(`${relative(root, file)} -> ${relative(root, target)}`);
  }
  return out;
}

test('every import in src/ points down the layers (or stays in its folder)', (t) => {
  t.is(
    LAYERS.length,
    new Set(readdirSync(src)).size,
    `LAYERS must name every entry of src/: ${readdirSync(src).join(', ')}`,
  );
  t.deepEqual(upward(new Map(files(src).map((f) => [f, importsOf(f)] as const))), []);
  // And the check does see one: a PHY model importing the board would be reported.
  t.deepEqual(upward(new Map([[join(src, 'phy', 'x.ts'), [join(src, 'board', 'board.ts')]]])), [
    'src/phy/x.ts -> src/board/board.ts',
  ]);
});

function cyclesOf(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[] = [];
  const visit = (f: string, path: string[]): void => {
    if (state.get(f) === 'done') return;
    if (state.get(f) === 'open') {
      cycles.push([...path.slice(path.indexOf(f)), f].map((p) => relative(root, p)).join(' -> '));
      return;
    }
    state.set(f, 'open');
    for (const next of graph.get(f) ?? []) visit(next, [...path, f]);
    state.set(f, 'done');
  };
  for (const f of graph.keys()) visit(f, []);
  return cycles;
}

test('no import cycle among the modules of src/ (type-only imports aside)', (t) => {
  t.deepEqual(cyclesOf(new Map(files(src).map((f) => [f, importsOf(f, true)] as const))), []);
  const a = join(src, 'mdio', 'a.ts');
  const b = join(src, 'mdio', 'b.ts');
  t.deepEqual(
    cyclesOf(
      new Map([
        [a, [b]],
        [b, [a]],
      ]),
    ),
    ['src/mdio/a.ts -> src/mdio/b.ts -> src/mdio/a.ts'],
  );
});
