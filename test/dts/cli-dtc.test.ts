import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DTC_GENERATIONS, dtcVersion, findReferenceDtc, runDtc, runTool, systemCompat, testDir } from './dtc-reference.js';

/** End-to-end: `mdio-emu dtc` as a drop-in for dtc, and `mdio-emu dts check`. */

const repo = join(testDir, '../..');
const fixtures = join(testDir, 'fixtures/compile');
const cli = (args: string[], cwd = fixtures) =>
  spawnSync(process.execPath, ['--import=tsx', join(repo, 'cli/index.ts'), ...args], { cwd, encoding: 'buffer', timeout: 30_000 });

if (!dtcVersion) test.skip('mdio-emu dtc matches dtc (reference dtc is not installed)', () => undefined);
else
  test('mdio-emu dtc -@ -i inc writes the same DTB as dtc', (t) => {
    const ours = cli(['dtc', '--compat', systemCompat, '-q', '-@', '-i', 'inc', '-O', 'dtb', 'tree.dts']);
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

// --compat picks the generation: an overlay blob read back prints as that generation's dtc prints it (1.8
// restores /plugin/, labels and references; 1.6 prints numbers), and -W takes only that generation's check names.
for (const generation of DTC_GENERATIONS) {
  const ref = findReferenceDtc(generation);
  if (!ref) {
    test.skip(`mdio-emu dtc --compat ${generation} (reference dtc ${generation} is absent)`, () => undefined);
    continue;
  }
  test(`mdio-emu dtc --compat ${generation}: -I dtb -O dts of an overlay equals dtc ${ref.version}'s`, (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'mdio-emu-compat-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const blob = join(dir, 'overlay.dtbo');
    t.is(runTool(ref.dtc, ['-q', '-@', '-I', 'dts', '-O', 'dtb', '-o', blob, 'overlay.dts'], { cwd: fixtures }).status, 0);
    const ours = cli(['dtc', '--compat', generation, '-I', 'dtb', '-O', 'dts', blob]);
    t.is(ours.status, 0, ours.stderr.toString());
    t.is(ours.stdout.toString('latin1'), runTool(ref.dtc, ['-I', 'dtb', '-O', 'dts', blob]).stdout.toString('latin1'));
    const interruptMap = cli(['dtc', '--compat', generation, '-Wno-interrupt_map', '-O', 'dtb', '-o', '/dev/null', 'tree.dts']);
    // dtc dies on a check name its generation lacks: `FATAL ERROR: Unrecognized check name`, status 1.
    t.is(interruptMap.status, generation === '1.6' ? 1 : 0, interruptMap.stderr.toString());
  });
}
