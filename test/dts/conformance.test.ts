import test from 'ava';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { runConformance } from '../../scripts/dtc-conformance.js';
import { compileDts } from '../../src/dts/compile.js';
import { DTC_GENERATIONS, findReferenceDtc, hostAt, missingReason, runTool } from './dtc-reference.js';
import { dtcTestsDir } from '../shared-material.js';

/**
 * dtc's own test inputs (shared conformance material: tests/ of dtc v1.8.1) against each generation's
 * reference dtc (Debian's 1.6.1, 1.7.2 and 1.8.1), with and without -@: for every input the reference
 * compiles, identical DTB bytes, identical `-O dts` text, identical `-I dtb -O dts` text of the reference's
 * own blob; for every input it rejects, an error and no DTB; and the same warnings and errors (check, text
 * and line) for all of them. Inputs that crash or hang a reference end here within a second.
 */

/** Where we differ from dtc on purpose or cannot follow it, and why. */
const KNOWN: Readonly<Record<string, string>> = {
  // `# 0 "name\0"`: dtc puts the next line at line -1 of a file named ""; our positions are 1-based.
  'nul-in-line-info1.dts': 'messages',
  'nul-in-line-info2.dts': 'messages',
};

const dir = dtcTestsDir;
if (!existsSync(join(dir, 'manifest.tsv'))) {
  test.skip('dtc conformance inputs (../shared/conformance/dtc-tests is absent in this checkout)', () => undefined);
} else {
  for (const generation of DTC_GENERATIONS) {
    const missing = missingReason(generation);
    if (missing) {
      test.skip(`dtc ${generation} conformance on dtc's test inputs (${missing})`, () => undefined);
      continue;
    }
    test(`dtc ${generation}: dtc's test inputs give identical DTBs, DTS output, blob read-back and messages`, (t) => {
      const results = runConformance(generation, { dir, lines: true }) ?? [];
      const problems = results.flatMap((r) =>
        r.problems.filter((p) => !(KNOWN[r.file] !== undefined && p.includes(KNOWN[r.file] ?? ''))).map((p) => `${r.file}${p}`),
      );
      const counts = new Map<string, number>();
      for (const r of results) counts.set(r.outcome, (counts.get(r.outcome) ?? 0) + 1);
      t.log(`${results.length} inputs (${[...counts].map(([o, n]) => `${n} ${o}`).join(', ')}), ${results.length - new Set(problems.map((p) => p.split(/[ :]/)[0])).size} without a difference`);
      t.deepEqual(problems, []);
      t.true((counts.get('ok') ?? 0) >= 100, 'most inputs compile');
    });

    test(`dtc ${generation}: inputs that crash or hang the reference end here within a second`, (t) => {
      const ref = findReferenceDtc(generation);
      if (!ref) return t.fail('reference vanished');
      const bad: string[] = [];
      for (const file of readdirSync(dir).filter((f) => f.endsWith('.dts'))) {
        const r = runTool(ref.dtc, ['-q', '-I', 'dts', '-O', 'dtb', '-o', '/dev/null', '-i', '.', file], { cwd: dir, timeoutMs: 3000 });
        if (r.signal === null && (r.status ?? 0) < 128) continue;
        bad.push(file);
        const start = performance.now();
        const ours = compileDts(readFileSync(join(dir, file)), { fileName: file, host: hostAt(dir), includeDirs: ['.'], compat: generation });
        const ms = performance.now() - start;
        t.true(ms < 1000, `${file} took ${ms.toFixed(0)} ms`);
        t.true(ours.dtb !== undefined || ours.diagnostics.length > 0, `${file}: neither DTB nor diagnostic`);
      }
      t.log(`${bad.length} inputs crash or hang dtc ${ref.version}${bad.length > 0 ? `: ${bad.join(', ')}` : ''}`);
      // dtc 1.6.1 crashes on a root endpoint (bad-graph-root*) and hangs on #...-cells = -1; later releases do not.
      if (generation === '1.6') t.true(bad.length >= 6, `expected dtc 1.6.1's known crashes and hang, saw ${bad.length}`);
      else t.pass();
    });
  }
}
