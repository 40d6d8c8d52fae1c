import test from 'ava';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileDts } from '../../src/dts/compile.js';
import { formatDiagnostic } from '../../src/dts/diagnostics.js';
import { dtcVersion, hostAt, runDtc, testDir } from './dtc-reference.js';

/**
 * DTS preprocessed outside mdio-emu (`cpp ... | mdio-emu dtc -`): diagnostics name the file and line the cpp
 * line markers give, as dtc's do. The expected file:line comes from running dtc on the same text.
 */

const repo = join(testDir, '../..');
const fixtures = join(testDir, 'fixtures/line-markers');

/** The kernel's cmd_dtc preprocessing flags (scripts/Makefile.lib dtc_cpp_flags, minus its include dirs). */
function systemCpp(file: string): string | undefined {
  const r = spawnSync('cpp', ['-nostdinc', '-undef', '-x', 'assembler-with-cpp', '-D__DTS__', file], {
    cwd: fixtures,
    encoding: 'latin1',
    timeout: 10_000,
  });
  return r.status === 0 ? r.stdout : undefined;
}

/** `Error: board.dtsi:12.4-5 syntax error` → file and line (dtc 1.6.1 srcpos_string format). */
function dtcErrorPosition(text: string): { file: string; line: number; status: number | null } | undefined {
  const ref = runDtc(fixtures, ['-O', 'dtb', '-o', '/dev/null', '-'], text);
  const m = /Error: (\S+):(\d+)\.\d+/.exec(ref.stderr);
  return m?.[1] && m[2] ? { file: m[1], line: Number(m[2]), status: ref.status } : undefined;
}

const POSITION = /^(\S+):(\d+):(\d+): error (DTS\d+): /;

const preprocessed = systemCpp('main.dts');
const missing = preprocessed === undefined ? 'the system cpp is not installed' : dtcVersion ? undefined : 'the reference dtc is not installed';

if (missing !== undefined || preprocessed === undefined) {
  const reason = missing ?? 'cpp failed';
  console.log(`line-markers: skipped: ${reason}`);
  test.skip(`line-marker diagnostics match dtc (${reason})`, () => undefined);
} else {
  const text = preprocessed;
  const expected = dtcErrorPosition(text);
  const dtsiLines = readFileSync(join(fixtures, 'board.dtsi'), 'latin1').split('\n');

  test('the reference dtc blames the included .dtsi, not the preprocessed text', (t) => {
    t.truthy(text.includes('# 1 "board.dtsi" 1'), 'cpp wrote a line marker for the include');
    t.is(expected?.file, 'board.dtsi');
  });

  test('an error in an included .dtsi reads board.dtsi:line like dtc, with its source line when readable', (t) => {
    const r = compileDts(text, { fileName: '<stdin>', host: hostAt(fixtures) });
    const error = r.diagnostics.find((d) => d.severity === 'error');
    t.truthy(error);
    if (!error || !expected) return;
    t.is(error.span?.file, 'board.dtsi');
    const [head, source, caret, ...rest] = formatDiagnostic(error, r.files).split('\n');
    const m = POSITION.exec(head ?? '');
    t.is(m?.[1], expected.file);
    t.is(Number(m?.[2]), expected.line);
    // The caret line is the .dtsi's own line (tabs and all), not cpp's whitespace-squeezed copy.
    t.is(source, dtsiLines[expected.line - 1]);
    t.regex(caret ?? '', /^\s*\^/);
    t.deepEqual(rest, []);
  });

  test('when the named .dtsi cannot be read, the message still reads board.dtsi:line:col, without a source line', (t) => {
    const r = compileDts(text, { fileName: '<stdin>', host: { readFile: () => undefined } });
    const error = r.diagnostics.find((d) => d.severity === 'error');
    t.truthy(error);
    if (!error || !expected) return;
    const formatted = formatDiagnostic(error, r.files);
    const m = POSITION.exec(formatted);
    t.is(m?.[1], expected.file);
    t.is(Number(m?.[2]), expected.line);
    t.false(formatted.includes('\n'));
  });

  test('the same text without line markers keeps pointing into the input', (t) => {
    const bare = text.replace(/^#.*$/gm, '');
    const r = compileDts(bare, { fileName: '<stdin>', host: hostAt(fixtures) });
    const error = r.diagnostics.find((d) => d.severity === 'error');
    t.is(error?.span?.file, '<stdin>');
  });

  test('cpp ... | mdio-emu dtc - prints board.dtsi:line like dtc', (t) => {
    const ours = spawnSync(process.execPath, ['--import=tsx', join(repo, 'cli/index.ts'), 'dtc', '-O', 'dtb', '-o', '/dev/null', '-'], {
      cwd: fixtures,
      input: text,
      encoding: 'latin1',
      timeout: 30_000,
    });
    // dtc's die() on an unparsable tree: whatever status the reference gave, ours must give.
    t.is(ours.status, expected?.status ?? -1, ours.stderr);
    const m = POSITION.exec(ours.stderr);
    t.is(m?.[1], expected?.file);
    t.is(Number(m?.[2]), expected?.line ?? -1);
  });
}

const checksText = systemCpp('checks.dts');
if (missing !== undefined || checksText === undefined) {
  test.skip(`line-marker check warnings match dtc (${missing ?? 'cpp failed'})`, () => undefined);
} else {
  test('a check warning on a node from the .dtsi reads checks.dtsi:line like dtc', (t) => {
    const ref = runDtc(fixtures, ['-O', 'dtb', '-o', '/dev/null', '-'], checksText);
    const want = /^(\S+):(\d+)\.\d+(?:-[\d.]+)?: Warning \(unit_address_vs_reg\)/m.exec(ref.stderr);
    t.is(want?.[1], 'checks.dtsi', ref.stderr);
    const r = compileDts(checksText, { fileName: '<stdin>', host: hostAt(fixtures) });
    const warning = r.diagnostics.find((d) => d.message.endsWith('[unit_address_vs_reg]'));
    t.truthy(warning);
    if (!warning) return;
    const m = /^(\S+):(\d+):\d+: warning DTS\d+: /.exec(formatDiagnostic(warning, r.files));
    t.is(m?.[1], want?.[1]);
    t.is(m?.[2], want?.[2]);
  });
}
