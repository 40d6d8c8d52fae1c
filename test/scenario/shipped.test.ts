import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { loadEmulatorScenario } from '../../src/scenario/load-emulator.js';
import { runScenario } from '../../src/scenario/run.js';

const dts = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dts');
const shipped = readdirSync(dts).filter((f) => /^gen-.*\.scenario\.json$/.test(f));

test('the canonical set is shipped', (t) => {
  t.true(shipped.length >= 10);
});

for (const file of shipped) {
  test(`${file} runs to completion in the emulator with every expectation met`, async (t) => {
    const loaded = await loadEmulatorScenario(join(dts, file));
    t.true(loaded.scenario.expect.length > 0);
    // QEMU scenarios ask for the wall clock; the emulator-only run gives the same result on virtual time.
    const report = await runScenario(loaded.scenario, loaded.tree, { forceVirtual: true });
    t.deepEqual(
      report.expectations.filter((o) => !o.pass).map((o) => `${o.expectation.kind}: ${o.message}`),
      [],
    );
    t.true(report.pass);
  });
}
