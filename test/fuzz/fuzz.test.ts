import test from 'ava';
import { coverageFuzz, type FuzzTarget } from './target.js';
import { traceReader } from './trace.js';
import { usbredirCodec } from './usbredir.js';
import { wireCodec } from './wire.js';

// Issue 12 #10: the wire codec, the usbredir codec and the trace reader under fast-check properties and a
// coverage-guided mutation pass. CI runs each with a fixed seed and a small budget; the targets are plain
// data (test/fuzz/target.ts) so a longer runner can take them by name with other seeds and minutes.
const SEED = 0x12c0de;
const TARGETS: FuzzTarget[] = [wireCodec, usbredirCodec, traceReader];

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
