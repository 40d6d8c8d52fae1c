import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileDts } from '../../src/dts/compile.js';
import { dtcVersion, hostAt, runDtc } from './dtc-reference.js';
import { dtcTestsDir } from '../shared-material.js';

/**
 * dtc's own test inputs (shared conformance material, tests/ of dtc v1.8.1) compiled by us and by the
 * installed dtc 1.6.1, as the manifest records it was run: `dtc -q -I dts -O dtb -i . FILE`, without and with
 * -@. Every `ok` input must give identical bytes, every `fail` input an error diagnostic, and every input
 * that crashes or hangs dtc must end here within a second with a diagnostic or a DTB.
 */

const dir = dtcTestsDir;
const manifestPath = join(dir, 'manifest.tsv');

type Outcome = 'ok' | 'fail' | 'crash' | 'hang';

if (!existsSync(manifestPath)) {
  test.skip('dtc conformance inputs (../shared/conformance/dtc-tests is absent in this checkout)', () => undefined);
} else {
  const rows = readFileSync(manifestPath, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split('\t') as [string, Outcome, Outcome]);

  for (const symbols of [false, true]) {
    const flag = symbols ? ' -@' : '';
    const compile = (file: string) =>
      compileDts(readFileSync(join(dir, file)), { fileName: file, host: hostAt(dir), includeDirs: ['.'], symbols });

    const okFiles = rows.filter((r) => r[symbols ? 2 : 1] === 'ok').map((r) => r[0]);
    const failFiles = rows.filter((r) => r[symbols ? 2 : 1] === 'fail').map((r) => r[0]);
    const badFiles = rows.filter((r) => ['crash', 'hang'].includes(r[symbols ? 2 : 1])).map((r) => r[0]);

    if (!dtcVersion) {
      test.skip(`dtc${flag}: identical DTBs (reference dtc is not installed)`, () => undefined);
    } else {
      test(`dtc${flag}: ${okFiles.length} accepted inputs give byte-identical DTBs`, (t) => {
        const differing: string[] = [];
        for (const file of okFiles) {
          const ours = compile(file);
          const ref = runDtc(dir, ['-q', '-I', 'dts', '-O', 'dtb', '-i', '.', ...(symbols ? ['-@'] : []), file]);
          if (ref.status !== 0) differing.push(`${file}: reference dtc failed (${ref.stderr.trim()})`);
          else if (!ours.dtb || Buffer.compare(Buffer.from(ours.dtb), ref.stdout) !== 0) differing.push(file);
        }
        t.log(`identical: ${okFiles.length - differing.length}/${okFiles.length}`);
        t.deepEqual(differing, []);
      });
    }

    test(`dtc${flag}: ${failFiles.length} rejected inputs give an error diagnostic and no DTB`, (t) => {
      const accepted = failFiles.filter((file) => {
        const r = compile(file);
        return r.ok || r.dtb !== undefined || !r.diagnostics.some((d) => d.severity === 'error');
      });
      t.deepEqual(accepted, []);
    });

    test(`dtc${flag}: ${badFiles.length} inputs that crash or hang dtc end within a second`, (t) => {
      for (const file of badFiles) {
        const start = performance.now();
        const r = compile(file);
        const ms = performance.now() - start;
        t.true(ms < 1000, `${file} took ${ms.toFixed(0)} ms`);
        t.true(r.dtb !== undefined || r.diagnostics.length > 0, `${file}: neither DTB nor diagnostic`);
      }
    });
  }
}
