import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readDtb } from '../../src/dts/dtb-read.js';
import { printDts } from '../../src/dts/print.js';
import { dtcTestsDir, existsSync, hasTool, run, scratchDir } from './fixtures-io/reference-tools.js';

/**
 * dtc's own test inputs, compiled to DTB by dtc (with and without -@), then printed by `dtc -I dtb -O dts`
 * and by readDtb + printDts: the two texts must be byte-identical.
 */

const manifest = join(dtcTestsDir, 'manifest.tsv');
const skipReason = !existsSync(manifest) ? `${manifest} is absent` : !hasTool('dtc') ? 'dtc is not installed' : undefined;

function acceptedInputs(column: number): string[] {
  return readFileSync(manifest, 'latin1')
    .split('\n')
    .slice(1)
    .map((line) => line.split('\t'))
    .filter((cols) => cols[column] === 'ok')
    .map((cols) => cols[0] ?? '');
}

for (const [label, flags, column] of [
  ['plain', [], 1],
  ['with -@', ['-@'], 2],
] as const) {
  if (skipReason) {
    console.log(`skipping dtc -I dtb -O dts conformance (${label}): ${skipReason}`);
    test.skip(`dtc -I dtb -O dts conformance (${label})`, () => {});
    continue;
  }
  test(`readDtb + printDts matches dtc -I dtb -O dts on dtc's test inputs (${label})`, (t) => {
    const { dir, cleanup } = scratchDir();
    t.teardown(cleanup);
    let identical = 0;
    const mismatches: string[] = [];
    for (const file of acceptedInputs(column)) {
      const dtb = join(dir, `${file}.dtb`);
      if (!run('dtc', ['-q', '-I', 'dts', '-O', 'dtb', ...flags, '-i', '.', '-o', dtb, file], dtcTestsDir).ok) continue;
      const reference = run('dtc', ['-q', '-I', 'dtb', '-O', 'dts', dtb]);
      // dtc refuses some of its own blobs on re-read (e.g. a '/' in a __fixups__ property name fails its checks).
      if (!reference.ok) continue;
      const ours = printDts(readDtb(readFileSync(dtb)));
      if (ours === reference.stdout.toString('latin1')) identical++;
      else mismatches.push(file);
    }
    t.log(`${identical} identical`);
    t.deepEqual(mismatches, []);
    t.true(identical >= 100, `only ${identical} inputs compared`);
  });
}
