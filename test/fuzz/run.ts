import { parseArgs } from 'node:util';
import { coverageFuzz } from './target.js';
import { TARGETS } from './targets.js';

/**
 * `npm run fuzz -- --minutes N [--seed S] [--target NAME]`: the CI fuzz targets for longer. The minutes are
 * shared out evenly: for each target, half to its fast-check properties (each runs until its share is up) and
 * half to the coverage-guided pass. Prints one line per run and exits 1 on the first failure, with the seed
 * and the input that reproduce it.
 */
const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '5' },
    seed: { type: 'string' },
    target: { type: 'string', multiple: true },
  },
});
const minutes = Number(values.minutes);
if (!(minutes > 0 && minutes <= 24 * 60)) {
  process.stderr.write(`fuzz: --minutes must be a number of minutes from 0 to 1440, got ${values.minutes}\n`);
  process.exit(2);
}
const seed = values.seed === undefined ? Date.now() >>> 0 : Number(values.seed);
const chosen = TARGETS.filter((t) => !values.target || values.target.includes(t.name));
if (chosen.length === 0) {
  process.stderr.write(
    `fuzz: no target named ${values.target?.join(', ')}; targets: ${TARGETS.map((t) => t.name).join(', ')}\n`,
  );
  process.exit(2);
}
const perTargetMs = (minutes * 60_000) / chosen.length;
process.stdout.write(`fuzz: seed ${seed}, ${minutes} min over ${chosen.length} targets\n`);
const started = Date.now();
for (const target of chosen) {
  const properties = Object.entries(target.properties());
  const perProperty = perTargetMs / 2 / properties.length;
  for (const [name, run] of properties) {
    const t0 = Date.now();
    const runs = run({ seed, numRuns: Number.MAX_SAFE_INTEGER, interruptAfterTimeLimit: perProperty });
    process.stdout.write(
      `  ${target.name}: ${name}: ${runs} inputs passed in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`,
    );
  }
  const r = coverageFuzz(target.bytes, {
    seed,
    executions: Number.MAX_SAFE_INTEGER,
    timeLimitMs: perTargetMs / 2,
  });
  process.stdout.write(
    `  ${target.name}: coverage-guided: ${r.executions} executions, ${r.blocks} blocks, corpus ${r.corpus}\n`,
  );
}
process.stdout.write(
  `fuzz: no failure in ${((Date.now() - started) / 60_000).toFixed(1)} min (seed ${seed})\n`,
);
