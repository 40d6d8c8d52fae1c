import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileDts } from '../../src/dts/compile.js';
import { printDts } from '../../src/dts/print.js';
import { dtcTestsDir, existsSync, hasTool, run } from './fixtures-io/reference-tools.js';

/**
 * dtc's test inputs through our compiler and printer, against `dtc -I dts -O dts` (dtc 1.6.1): the printer
 * must reproduce dtc's text from the type, label and reference markers the compiler keeps.
 */

const manifest = join(dtcTestsDir, 'manifest.tsv');
const skipReason = !existsSync(manifest) ? `${manifest} is absent` : !hasTool('dtc') ? 'dtc is not installed' : undefined;

const host = {
  readFile: (path: string): Uint8Array | undefined => {
    const file = join(dtcTestsDir, path);
    return existsSync(file) ? readFileSync(file) : undefined;
  },
};

for (const [label, flags, column] of [
  ['plain', [], 1],
  ['with -@', ['-@'], 2],
] as const) {
  if (skipReason) {
    console.log(`skipping dtc -I dts -O dts conformance (${label}): ${skipReason}`);
    test.skip(`dtc -I dts -O dts conformance (${label})`, () => {});
    continue;
  }
  test(`compileDts + printDts matches dtc -I dts -O dts on dtc's test inputs (${label})`, (t) => {
    const files = readFileSync(manifest, 'latin1')
      .split('\n')
      .slice(1)
      .map((line) => line.split('\t'))
      .filter((cols) => cols[column] === 'ok')
      .map((cols) => cols[0] ?? '');
    let identical = 0;
    const mismatches: string[] = [];
    for (const file of files) {
      const reference = run('dtc', ['-q', ...flags, '-I', 'dts', '-O', 'dts', '-i', '.', file], dtcTestsDir);
      if (!reference.ok) continue;
      const result = compileDts(readFileSync(join(dtcTestsDir, file)), { fileName: file, host, includeDirs: ['.'], symbols: flags.length > 0 });
      if (result.tree && printDts(result.tree) === reference.stdout.toString('latin1')) identical++;
      else mismatches.push(file);
    }
    t.log(`${identical} identical`);
    t.deepEqual(mismatches, []);
    t.true(identical >= 100, `only ${identical} inputs compared`);
  });
}
