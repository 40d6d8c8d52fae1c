import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileDts } from '../../src/dts/compile.js';
import { printYaml, YamlOutputError } from '../../src/dts/yaml.js';
import { dtcVersion, hostAt, runDtc, systemCompat } from './dtc-reference.js';
import { dtcTestsDir } from '../shared-material.js';

/**
 * `-O yaml` against the installed dtc on dtc's own test inputs (shared conformance material), without and
 * with -@: wherever dtc writes YAML ours must be the same text, and wherever dtc refuses (compile errors,
 * values it cannot type, non-ASCII strings) ours must refuse too.
 */

const dir = dtcTestsDir;
const manifestPath = join(dir, 'manifest.tsv');

if (!existsSync(manifestPath) || !dtcVersion) {
  const why = dtcVersion ? '../shared/conformance/dtc-tests is absent in this checkout' : 'reference dtc is not installed';
  test.skip(`dtc -O yaml conformance (${why})`, () => undefined);
} else {
  const files = readFileSync(manifestPath, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split('\t'))
    .filter((r) => r[1] === 'ok')
    .map((r) => r[0] ?? '');
  for (const symbols of [false, true])
    test(`dtc -O yaml${symbols ? ' -@' : ''}: the same YAML on ${files.length} inputs dtc compiles`, (t) => {
      const problems: string[] = [];
      let compared = 0;
      for (const file of files) {
        const ref = runDtc(dir, ['-q', '-O', 'yaml', '-i', '.', ...(symbols ? ['-@'] : []), file]);
        const compiled = compileDts(readFileSync(join(dir, file)), { fileName: file, host: hostAt(dir), includeDirs: ['.'], symbols, compat: systemCompat });
        let ours: string | undefined;
        try {
          ours = compiled.tree ? printYaml(compiled.tree) : undefined;
        } catch (e) {
          if (!(e instanceof YamlOutputError)) throw e;
        }
        if (ref.status !== 0) {
          if (ours !== undefined) problems.push(`${file}: dtc refused (${ref.stderr.trim().split('\n').pop() ?? ''}), we wrote YAML`);
          continue;
        }
        compared++;
        if (ours !== ref.stdout.toString('latin1')) problems.push(`${file}: YAML differs`);
      }
      t.log(`compared ${compared} YAML outputs`);
      t.true(compared > files.length / 2);
      t.deepEqual(problems, []);
    });
}
