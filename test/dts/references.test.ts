import test from 'ava';
import { DTC_GENERATIONS, findReferenceDtc, missingReason, runTool } from './dtc-reference.js';

/**
 * The reference dtc and fdtoverlay of each generation `--compat` reproduces (scripts/dtc-reference.ts). The
 * conformance tests skip a generation whose reference is missing, each saying so; under CI a missing
 * reference fails here instead, so a CI run cannot go green on skipped conformance (scripts/setup.sh --ci
 * fetches all three).
 */

for (const generation of DTC_GENERATIONS) {
  const ref = findReferenceDtc(generation);
  const title = `reference dtc and fdtoverlay ${generation} are here and are that generation`;
  if (!ref) {
    const reason = missingReason(generation) ?? 'no reference';
    if (process.env['CI'] === 'true') test(`${title} (CI)`, (t) => t.fail(`CI needs every reference: ${reason}`));
    else test.skip(`${title} (${reason})`, () => undefined);
    continue;
  }
  test(title, (t) => {
    for (const [tool, args] of [
      [ref.dtc, ['--version']],
      [ref.fdtoverlay, ['-V']],
    ] as const) {
      const r = runTool(tool, args);
      t.is(r.status, 0, r.stderr);
      const version = /^Version: DTC (\d+\.\d+)\.\d+/m.exec(r.stdout.toString('latin1'))?.[1];
      t.is(version, generation, `${tool.command} ${args.join(' ')}`);
    }
  });
}
