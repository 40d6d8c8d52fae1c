import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { readScenarioFile, runInModel } from '../../src/scenario/index.js';

const dts = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dts');
const shipped = readdirSync(dts).filter((f) => /^gen-.*\.scenario\.json$/.test(f));

test('the canonical set is shipped', (t) => {
  t.true(shipped.length >= 10);
});

for (const file of shipped) {
  test(`${file} runs to completion against the kernel model with every expectation met`, (t) => {
    const loaded = readScenarioFile(join(dts, file));
    t.true(loaded.scenario.expect.length > 0);
    const report = runInModel(loaded);
    t.deepEqual(
      report.expectations.filter((o) => !o.pass).map((o) => `${o.expectation.kind}: ${o.message}`),
      [],
    );
    t.is(report.end.reason, 'settled');
    t.true(report.pass);
  });
}
