import test from 'ava';
import { coverageFuzz } from './target.js';
import { TARGETS } from './targets.js';

// Issue 12: the wire codec, the usbredir codec, the trace reader, the DTS front end and the scenario reader
// under fast-check properties and a coverage-guided mutation pass. CI runs each with a fixed seed and a small
// budget; `npm run fuzz -- --minutes N` (run.ts) runs the same targets longer, with any seed.
const SEED = 0x12c0de;

for (const target of TARGETS) {
  for (const [name, run] of Object.entries(target.properties())) {
    test(`${target.name}: ${name}`, (t) => {
      run({ seed: SEED, numRuns: 200 });
      t.pass();
    });
  }
  test(`${target.name}: coverage-guided pass (seed ${SEED})`, (t) => {
    const run = coverageFuzz(target.bytes, { seed: SEED, executions: 1000, timeLimitMs: 20_000 });
    t.log(`${run.executions} executions, ${run.blocks} blocks covered, corpus ${run.corpus}`);
    t.true(run.corpus > target.bytes.seeds().length, 'coverage found new inputs worth keeping');
  });
}
