import test from 'ava';
import AjvDraft04 from 'ajv-draft-04';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheDir } from '../../scripts/dtc-reference.js';
import { findReferenceDtc, runTool, testDir } from './dtc-reference.js';

/**
 * `mdio-emu dts check|why|diff` end to end, on the fixture board (a .dts that #includes an SoC .dtsi, overrides
 * and deletes in it, and an overlay on top) and on real kernel trees: Linux 6.1's (which scripts/setup.sh
 * unpacks for the guest kernel) and Linux 7.2's when the shared cache has it. Positions are checked against
 * what the reference dtc prints for the same cpp output, never against our own.
 */

const repo = join(testDir, '../..');
const fixtures = join(testDir, 'fixtures/tools');
// tsx by absolute URL: the kernel trees the tests run in have no node_modules of their own.
const tsx = import.meta.resolve('tsx');
const cli = (args: string[], cwd = fixtures) =>
  spawnSync(process.execPath, [`--import=${tsx}`, join(repo, 'cli/index.ts'), ...args], { cwd, encoding: 'utf8', timeout: 60_000 });

/** The 1-based line of the first line of `file` that contains `text` (fixtures name lines by content). */
function lineOf(file: string, text: string): number {
  const lines = readFileSync(join(fixtures, file), 'latin1').split('\n');
  const i = lines.findIndex((l) => l.includes(text));
  if (i < 0) throw new Error(`${text} is not in ${file}`);
  return i + 1;
}

/** dtc's warnings for the same input preprocessed by the system cpp: `check /path @ file:line:col`, sorted. */
function dtcPositions(root: string, file: string, includes: string[]): string[] {
  const pre = spawnSync('cpp', ['-nostdinc', ...includes.flatMap((i) => ['-I', i]), '-undef', '-D__DTS__', '-x', 'assembler-with-cpp', file], { cwd: root });
  const ref = findReferenceDtc('1.8');
  const out: string[] = [];
  if (pre.status !== 0 || !ref) return out;
  const r = runTool(ref.dtc, ['-I', 'dts', '-O', 'dtb', '-o', '/dev/null', ...includes.flatMap((i) => ['-i', i]), '-'], { cwd: root, input: pre.stdout });
  for (const line of r.stderr.split('\n')) {
    const m = /^(\S+):(\d+)\.(\d+)(?:-[\d.]+)?: Warning \(([a-z0-9_]+)\): (\/[^:\s]*)/.exec(line);
    if (m) out.push(`${m[4] ?? ''} ${m[5] ?? ''} @ ${m[1] ?? ''}:${m[2] ?? ''}:${m[3] ?? ''}`);
  }
  return out.sort();
}

interface JsonReport {
  ok: boolean;
  errors: number;
  warnings: number;
  diagnostics: { code: string; check?: string; message: string; position?: { file: string; line: number; column: number } }[];
}

/** Our JSON report's diagnostics in dtcPositions' form. */
const ours = (report: JsonReport): string[] =>
  report.diagnostics
    .map((d) => `${d.check ?? ''} ${d.message.split(':')[0] ?? ''} @ ${d.position?.file ?? ''}:${d.position?.line ?? 0}:${d.position?.column ?? 0}`)
    .sort();

const sarifSchemaPath = createRequire(import.meta.url).resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json');

function sarifValidator(): (data: unknown) => string | undefined {
  // The CommonJS module's class is its default export's `default` under NodeNext.
  const ajv = new AjvDraft04.default({ allErrors: true, strict: false, unicodeRegExp: false });
  ajv.addFormat('uri', (s: string) => URL.canParse(s));
  ajv.addFormat('uri-reference', (s: string) => URL.canParse(s, 'file:///'));
  ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)));
  const validate = ajv.compile(JSON.parse(readFileSync(sarifSchemaPath, 'utf8')) as object);
  return (data) => (validate(data) ? undefined : ajv.errorsText(validate.errors));
}

test('dts check --format json: every warning positioned in the .dtsi the user wrote, where dtc puts it', (t) => {
  const r = cli(['dts', 'check', '--format', 'json', 'board.dts']);
  t.is(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as JsonReport;
  t.true(report.ok);
  t.is(report.warnings, 2);
  if (findReferenceDtc('1.8')) t.deepEqual(ours(report), dtcPositions(fixtures, 'board.dts', []));
  for (const d of report.diagnostics) t.deepEqual([d.position?.file, d.position?.line], ['soc.dtsi', lineOf('soc.dtsi', 'pse: pse@20')]);
});

test('dts check --format sarif is a valid SARIF 2.1.0 log, exit status 1 with an error', (t) => {
  const validate = sarifValidator();
  const ok = cli(['dts', 'check', '--format', 'sarif', 'board.dts']);
  t.is(ok.status, 0, ok.stderr);
  const log = JSON.parse(ok.stdout) as { version: string; runs: { results: { ruleId: string; locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[] }[] }[] };
  t.is(validate(log), undefined);
  t.is(log.version, '2.1.0');
  const results = log.runs[0]?.results ?? [];
  t.is(results.length, 2);
  t.deepEqual(
    results.map((x) => [x.locations[0]?.physicalLocation.artifactLocation.uri, x.locations[0]?.physicalLocation.region.startLine]),
    [
      ['soc.dtsi', lineOf('soc.dtsi', 'pse: pse@20')],
      ['soc.dtsi', lineOf('soc.dtsi', 'pse: pse@20')],
    ],
  );

  const dir = mkdtempSync(join(tmpdir(), 'mdio-emu-sarif-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'bad.dts'), '/dts-v1/;\n/ {\n\ta = <&nowhere>;\n};\n');
  const bad = cli(['dts', 'check', '--format', 'sarif', 'bad.dts'], dir);
  t.is(bad.status, 1);
  const badLog = JSON.parse(bad.stdout) as { runs: { results: { level: string; message: { text: string }; relatedLocations?: { physicalLocation: { region: { startLine: number } } }[] }[] }[] };
  t.is(validate(badLog), undefined);
  const error = badLog.runs[0]?.results.find((x) => x.level === 'error');
  t.regex(error?.message.text ?? '', /Reference to non-existent node or label "nowhere"/);
  // dtc blames the node; the reference itself goes along as a related location.
  t.is(error?.relatedLocations?.[0]?.physicalLocation.region.startLine, 3);
});

test('dts why: a property defined in the .dtsi, overridden by the board, then set by an overlay', (t) => {
  const r = cli(['dts', 'why', '--json', 'board.dts', '/soc/ethernet@ff0d0000/mdio/ethernet-phy@1:max-speed']);
  t.is(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { live: boolean; value: string; events: { kind: string; where: string; value?: string }[] };
  t.true(report.live);
  t.is(report.value, '<0x3e8>');
  t.deepEqual(
    report.events.map((e) => [e.kind, e.where.replace(/:\d+$/, ''), e.value]),
    [
      ['defined', `soc.dtsi:${lineOf('soc.dtsi', 'max-speed = <100>')}`, undefined],
      ['overridden', `board.dts:${lineOf('board.dts', 'max-speed = <1000>')}`, '<0x64>'],
    ],
  );

  const deleted = cli(['dts', 'why', '--json', 'board.dts', '/soc/ethernet@ff0d0000:phy-mode']);
  const d = JSON.parse(deleted.stdout) as { live: boolean; events: { kind: string; where: string }[] };
  t.false(d.live);
  t.deepEqual(
    d.events.map((e) => [e.kind, e.where.replace(/:\d+$/, '')]),
    [
      ['defined', `soc.dtsi:${lineOf('soc.dtsi', 'phy-mode')}`],
      ['deleted', `board.dts:${lineOf('board.dts', '/delete-property/ phy-mode')}`],
    ],
  );

  const withOverlay = cli(['dts', 'why', '--json', '--overlay', 'board-overlay.dtso', 'board.dts', '/soc/ethernet@ff0d0000:phy-mode']);
  t.is(withOverlay.status, 0, withOverlay.stderr);
  const o = JSON.parse(withOverlay.stdout) as { live: boolean; value: string; events: { kind: string; where: string; value?: string }[] };
  t.true(o.live);
  t.is(o.value, '"sgmii"');
  t.deepEqual(o.events.at(-1), { kind: 'overlay-set', where: `board-overlay.dtso:${lineOf('board-overlay.dtso', 'phy-mode')}:2`, source: 'phy-mode = "sgmii";', value: '"sgmii"' });

  const node = cli(['dts', 'why', '--overlay', 'board-overlay.dtso', 'board.dts', '/soc/ethernet@ff0d0000/mdio/ethernet-phy@3']);
  t.regex(node.stdout, /added by overlay {2}board-overlay\.dtso:\d+:\d+/);

  const gone = cli(['dts', 'why', 'board.dts', '/soc/timer@1000']);
  t.regex(gone.stdout, /^\/soc\/timer@1000 \(gone\)\n {2}defined +soc\.dtsi:\d+:\d+\n.*\n {2}deleted +board\.dts:\d+:1\n {2}.*\/delete-node\/ &unused;/m);
  t.is(cli(['dts', 'why', 'board.dts', '/no/such/node']).status, 1);
});

test('dts diff: order and phandle numbering are not differences, references print by label, exit 1 on a difference', (t) => {
  const same = cli(['dts', 'diff', 'board.dts', 'board.dts']);
  t.is(same.status, 0);
  t.is(same.stdout, '');
  const r = cli(['dts', 'diff', 'board.dts', 'board-reordered.dts']);
  t.is(r.status, 1, r.stderr);
  t.is(
    r.stdout,
    [
      '--- board.dts',
      '+++ board-reordered.dts',
      '@@ /soc/ethernet@ff0d0000/mdio/ethernet-phy@1 @@',
      '-\tmax-speed = <0x3e8>;',
      '+\tmax-speed = <0x64>;',
      '',
    ].join('\n'),
  );
  const ref = findReferenceDtc('1.8');
  if (!ref) return;
  // Against dtc's own blob of the reordered source: no labels, no markers, other phandle numbers.
  const dir = mkdtempSync(join(tmpdir(), 'mdio-emu-diff-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const blob = runTool(ref.dtc, ['-I', 'dts', '-O', 'dtb', '-o', join(dir, 'b.dtb'), 'board-reordered.dts'], { cwd: fixtures });
  t.is(blob.status, 0, blob.stderr);
  const vsBlob = cli(['dts', 'diff', 'board.dts', join(dir, 'b.dtb')]);
  t.is(vsBlob.status, 1);
  t.is(vsBlob.stdout.split('\n').slice(2).join('\n'), ['@@ /soc/ethernet@ff0d0000/mdio/ethernet-phy@1 @@', '-\tmax-speed = <0x3e8>;', '+\tmax-speed = <0x64>;', ''].join('\n'));
});

/** Linux 6.1's tree (unpacked for the guest kernel) and 7.2's (when the shared cache has one). */
function kernelTrees(): { version: string; root: string; arm: string }[] {
  const out: { version: string; root: string; arm: string }[] = [];
  const v61 = join(cacheDir(), 'linux-source-6.1');
  if (existsSync(join(v61, 'arch/arm/boot/dts/bcm2711-rpi-400.dts'))) out.push({ version: '6.1', root: v61, arm: 'arch/arm/boot/dts' });
  for (const candidate of [join(cacheDir(), 'kernel-dts-7.2/linux-source-7.2'), join(cacheDir(), 'linux-src/debian-7.2.13-1')]) {
    if (existsSync(join(candidate, 'arch/arm/boot/dts/broadcom/bcm2711-rpi-400.dts'))) {
      out.push({ version: '7.2', root: candidate, arm: 'arch/arm/boot/dts/broadcom' });
      break;
    }
  }
  return out;
}

const kernels = kernelTrees();
if (kernels.length === 0) test.skip('dts tools on kernel trees (no Linux source in the cache: scripts/setup.sh unpacks 6.1)', () => undefined);
for (const k of kernels) {
  const inc = ['-i', 'scripts/dtc/include-prefixes'];
  test(`Linux ${k.version}: why, check and diff on the Raspberry Pi 400 tree, through its .dtsi includes`, (t) => {
    const file = `${k.arm}/bcm2711-rpi-400.dts`;
    const why = cli(['dts', 'why', '--json', ...inc, file, '/leds/led-act'], k.root);
    t.is(why.status, 0, why.stderr);
    const report = JSON.parse(why.stdout) as { live: boolean; events: { kind: string; where: string; source?: string }[] };
    t.false(report.live);
    t.is(report.events[0]?.kind, 'defined');
    t.regex(report.events[0]?.where ?? '', /\.dtsi:\d+:\d+$/);
    const deletion = report.events.find((e) => e.kind === 'deleted');
    t.regex(deletion?.where ?? '', /bcm2711-rpi-400\.dts:\d+:\d+$/);
    t.regex(deletion?.source ?? '', /\/delete-node\//);

    const check = cli(['dts', 'check', '--format', 'json', ...inc, file], k.root);
    t.is(check.status, 0, check.stderr);
    const checked = JSON.parse(check.stdout) as JsonReport;
    t.true(checked.warnings > 0);
    if (findReferenceDtc('1.8')) t.deepEqual(ours(checked), dtcPositions(k.root, file, ['scripts/dtc/include-prefixes']));

    const ref = findReferenceDtc('1.8');
    if (!ref) return;
    const pre = spawnSync('cpp', ['-nostdinc', '-I', 'scripts/dtc/include-prefixes', '-undef', '-D__DTS__', '-x', 'assembler-with-cpp', file], { cwd: k.root });
    const dir = mkdtempSync(join(tmpdir(), 'mdio-emu-kdiff-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const blob = join(dir, 'rpi400.dtb');
    t.is(runTool(ref.dtc, ['-q', '-I', 'dts', '-O', 'dtb', '-o', blob, ...inc, '-'], { cwd: k.root, input: pre.stdout }).status, 0);
    // dtc's blob of the same source: nothing differs, though the blob knows no labels or references.
    const diff = cli(['dts', 'diff', ...inc, file, blob], k.root);
    t.is(diff.status, 0, diff.stdout);
    const other = cli(['dts', 'diff', ...inc, `${k.arm}/bcm2711-rpi-4-b.dts`, file], k.root);
    t.is(other.status, 1);
    t.regex(other.stdout, /^@@ \/leds\/led-act @@ \(only in .*bcm2711-rpi-4-b\.dts\)$/m);
  });
}
