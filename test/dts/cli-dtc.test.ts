import test from 'ava';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { dtcVersion, runDtc, testDir } from './dtc-reference.js';

/** End-to-end: `mdio-emu dtc` as a drop-in for dtc, and `mdio-emu dts check`. */

const repo = join(testDir, '../..');
const fixtures = join(testDir, 'fixtures/compile');
const cli = (args: string[], cwd = fixtures) =>
  spawnSync(process.execPath, ['--import=tsx', join(repo, 'cli/index.ts'), ...args], { cwd, encoding: 'buffer', timeout: 30_000 });

if (!dtcVersion) test.skip('mdio-emu dtc matches dtc (reference dtc is not installed)', () => undefined);
else
  test('mdio-emu dtc -@ -i inc writes the same DTB as dtc', (t) => {
    const ours = cli(['dtc', '-q', '-@', '-i', 'inc', '-O', 'dtb', 'tree.dts']);
    t.is(ours.status, 0, ours.stderr.toString());
    const ref = runDtc(fixtures, ['-q', '-@', '-i', 'inc', '-O', 'dtb', 'tree.dts']);
    t.true(ours.stdout.equals(ref.stdout));
  });

test('mdio-emu dts check exits 1 and prints the diagnostic with a caret', (t) => {
  const check = cli(['dts', 'check', join(fixtures, '../cli/bad.dts')]);
  t.is(check.status, 1);
  t.regex(check.stderr.toString(), /DTS1007/);
  const bad = cli(['dtc', '-O', 'dtb', '-o', '/dev/null', join(fixtures, '../cli/bad.dts')]);
  t.is(bad.status, 1); // dtc: a parse error is fatal (exit 1); failed checks exit 2
  t.regex(bad.stderr.toString(), /bad\.dts:3:\d+: error DTS1007: Division by zero\n.*\n\s*\^/);
});
