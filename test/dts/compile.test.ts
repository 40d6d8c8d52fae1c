import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkCode } from '../../src/dts/checks.js';
import { compileDts, type CompileOptions } from '../../src/dts/compile.js';
import type { DtcCompat } from '../../src/dts/compat.js';
import { formatDiagnostic } from '../../src/dts/diagnostics.js';
import { DTC_GENERATIONS, findReferenceDtc, hostAt, runTool, testDir } from './dtc-reference.js';

/** Feature fixtures compiled by us and by each generation's reference dtc with the same flags: the bytes must match. */

const fixtures = join(testDir, 'fixtures/compile');

interface Flags {
  args: string[];
  options: Partial<CompileOptions>;
  since?: DtcCompat;
}

const FLAG_SETS: Flags[] = [
  { args: [], options: {} },
  { args: ['-@'], options: { symbols: true } },
  { args: ['-H', 'both'], options: { phandleFormat: 'both' } },
  { args: ['-H', 'legacy'], options: { phandleFormat: 'legacy' } },
  { args: ['-b', '7'], options: { bootCpu: 7 } },
  { args: ['-p', '64'], options: { dtb: { padSize: 64 } } },
  { args: ['-S', '4096'], options: { dtb: { minSize: 4096 } } },
  { args: ['-a', '256'], options: { dtb: { alignSize: 256 } } },
  { args: ['-R', '2'], options: { dtb: { reserveSlots: 2 } } },
  { args: ['-s'], options: { sort: true } },
  { args: ['-A'], options: { autoAliases: true } },
  // dtc 1.7's -L: fixup nodes without /plugin/.
  { args: ['-L'], options: { localFixups: true }, since: '1.7' },
];

for (const generation of DTC_GENERATIONS) {
  const ref = findReferenceDtc(generation);
  for (const file of ['values.dts', 'tree.dts', 'overlay.dts', 'symbols.dts']) {
    for (const flags of FLAG_SETS) {
      if (flags.since !== undefined && generation < flags.since) continue;
      const title = `dtc ${generation}: ${file} ${flags.args.join(' ')}: identical to dtc`;
      if (!ref) {
        test.skip(`${title} (reference dtc ${generation} is not available)`, () => undefined);
        continue;
      }
      test(title, (t) => {
        const r = runTool(ref.dtc, ['-q', '-O', 'dtb', '-i', 'inc', ...flags.args, file], { cwd: fixtures });
        t.is(r.status, 0, r.stderr);
        const ours = compileDts(readFileSync(join(fixtures, file)), { fileName: file, host: hostAt(fixtures), includeDirs: ['inc'], ...flags.options, compat: generation });
        t.truthy(ours.dtb, ours.diagnostics.map((d) => d.message).join('\n'));
        t.true(Buffer.from(ours.dtb ?? []).equals(r.stdout));
      });
    }
  }
}

// Inline sources for the error paths: each must give the stated diagnostic code, and dtc must reject it too;
// a fourth element names the generations the case applies to (all by default).
const errorCases: [string, string, string, DtcCompat[]?][] = [
  ['syntax error', '/dts-v1/;\n/ { a = <1> }; };\n', 'DTS1001'],
  ['missing /dts-v1/', '/ { };\n', 'DTS1001'],
  ['division by zero', '/dts-v1/;\n/ { a = <(1 / 0)>; };\n', 'DTS1007'],
  ['modulo by zero', '/dts-v1/;\n/ { a = <(1 % 0)>; };\n', 'DTS1007'],
  ['value too wide for /bits/ 8', '/dts-v1/;\n/ { a = /bits/ 8 <256>; };\n', 'DTS1006', ['1.6']],
  ['an identifier where a value belongs', '/dts-v1/;\n/ { a = <1 FOO>; };\n', 'DTS1016', ['1.8']],
  ['an identifier where a value belongs', '/dts-v1/;\n/ { a = <1 FOO>; };\n', 'DTS1001', ['1.6', '1.7']],
  ['a label-relative fragment target', '/dts-v1/;\n/plugin/;\n&{foo/bar} { x; };\n', 'DTS1017', ['1.7', '1.8']],
  ['an unresolved path reference in a plugin', '/dts-v1/;\n/plugin/;\n/ { a = <&{/no/such}>; };\n', 'DTS3002', ['1.7', '1.8']],
  ['an empty node name', '/dts-v1/;\n/ { #address-cells = <1>; #size-cells = <0>; @1 { reg = <1>; }; };\n', checkCode('node_name_not_empty'), ['1.8']],
  ['bad /bits/ width', '/dts-v1/;\n/ { a = /bits/ 7 <1>; };\n', 'DTS1008'],
  ['reference in a 16-bit array', '/dts-v1/;\n/ { l: n { }; a = /bits/ 16 <&l>; };\n', 'DTS1009'],
  ['literal out of range', '/dts-v1/;\n/ { a = /bits/ 64 <0x1ffffffffffffffff>; };\n', 'DTS1003'],
  ['bad octal literal', '/dts-v1/;\n/ { a = <08>; };\n', 'DTS1002'],
  ['empty char literal', "/dts-v1/;\n/ { a = <''>; };\n", 'DTS1004'],
  ['unknown label merge', '/dts-v1/;\n/ { };\n&nowhere { };\n', 'DTS1010'],
  ['delete of an unknown label', '/dts-v1/;\n/ { };\n/delete-node/ &nowhere;\n', 'DTS1010'],
  ['unresolved phandle reference', '/dts-v1/;\n/ { a = <&nowhere>; };\n', 'DTS2011'],
  ['unresolved path reference', '/dts-v1/;\n/ { a = &nowhere; };\n', 'DTS2012'],
  ['reference to a deleted node', '/dts-v1/;\n/ { a = <&l>; l: n { }; };\n/delete-node/ &l;\n', 'DTS2011'],
  ['duplicate label', '/dts-v1/;\n/ { l: a { }; l: b { }; };\n', 'DTS2009'],
  ['duplicate property', '/dts-v1/;\n/ { a; a; };\n', 'DTS2002'],
  ['duplicate node', '/dts-v1/;\n/ { n { }; n { }; };\n', 'DTS2001'],
  ['property after subnode', '/dts-v1/;\n/ { n { }; a; };\n', 'DTS1014'],
  ['missing /incbin/ file', '/dts-v1/;\n/ { a = /incbin/("absent.bin"); };\n', 'DTS1011'],
  ['missing /include/ file', '/dts-v1/;\n/include/ "absent.dtsi"\n/ { };\n', 'DTS1011'],
  ['phandle 0', '/dts-v1/;\n/ { n { phandle = <0>; }; };\n', 'DTS2010'],
];

for (const [name, source, code, generations] of errorCases) {
  for (const generation of generations ?? DTC_GENERATIONS) {
    test(`dtc ${generation}: error: ${name} gives ${code}`, (t) => {
      const r = compileDts(source, { fileName: 'case.dts', host: hostAt(fixtures), compat: generation });
      t.false(r.ok);
      t.is(r.dtb, undefined);
      t.true(
        r.diagnostics.some((d) => d.code === code && d.severity === 'error'),
        r.diagnostics.map((d) => `${d.code} ${d.message}`).join('\n'),
      );
      // The reference rejects it as well (when available): these are dtc's errors, not stricter ones of ours.
      const ref = findReferenceDtc(generation);
      if (ref) t.not(runTool(ref.dtc, ['-q', '-O', 'dtb', '-o', '/dev/null', '-'], { cwd: fixtures, input: source }).status, 0);
    });
  }
}

test('dtc 1.7 and later: a value too wide for /bits/ 8 is truncated with a warning, as dtc truncates it', (t) => {
  const source = '/dts-v1/;\n/ { a = /bits/ 8 <256 0x1ff>; };\n';
  for (const generation of ['1.7', '1.8'] as const) {
    const r = compileDts(source, { fileName: 'case.dts', compat: generation });
    t.true(r.ok);
    t.deepEqual(
      r.diagnostics.map((d) => `${d.code} ${d.severity} ${d.message}`),
      ['DTS1018 warning Value 0x0000000000000100 truncated to 0x00', 'DTS1018 warning Value 0x00000000000001ff truncated to 0xff'],
    );
    const ref = findReferenceDtc(generation);
    if (!ref) continue;
    const out = runTool(ref.dtc, ['-O', 'dtb', '-'], { input: source });
    t.true(Buffer.from(r.dtb ?? []).equals(out.stdout));
    t.regex(out.stderr, /Value 0x0000000000000100 truncated to 0x00/);
  }
});

test('diagnostics carry file, line, column and a caret under the offending token', (t) => {
  const r = compileDts('/dts-v1/;\n/ {\n\tprop = <1 2>\n};\n', { fileName: 'x.dts' });
  const d = r.diagnostics[0];
  t.is(d?.code, 'DTS1001');
  t.is(formatDiagnostic(d!, r.files), 'x.dts:4:1: error DTS1001: syntax error\n};\n^');
});

test('the origin map of preprocessed text moves spans to the real file', (t) => {
  const text = '/dts-v1/;\n/ { a = <(1/0)>; };\n';
  const origins = { resolve: (offset: number) => ({ file: 'real.dts', offset: offset + 100 }) };
  const r = compileDts(text, { fileName: 'pp.i', origins });
  const d = r.diagnostics.find((x) => x.code === 'DTS1007');
  t.is(d?.span?.file, 'real.dts');
  t.is(d?.span?.start, text.indexOf('(1/0)') + 1 + 100);
});

test('cpp line markers are accepted where dtc accepts them', (t) => {
  const r = compileDts('# 1 "a.dts"\n/dts-v1/;\n# 1 "b.dtsi" 1\n/ { a; };\n# 3 "a.dts" 2\n/ { b; };\n', { fileName: 'x.i' });
  t.true(r.ok, r.diagnostics.map((d) => d.message).join('\n'));
});

test('an include cycle ends in a diagnostic, not a hang', (t) => {
  const files = new Map([['loop.dtsi', Buffer.from('/include/ "loop.dtsi"\n')]]);
  const r = compileDts('/dts-v1/;\n/include/ "loop.dtsi"\n/ { };\n', { fileName: 'main.dts', host: { readFile: (p) => files.get(p) } });
  t.false(r.ok);
  t.true(r.diagnostics.some((d) => d.code === 'DTS1012'));
});

test('deep nesting and long expressions end in a diagnostic, not a stack overflow', (t) => {
  const deep = `/dts-v1/;\n/ { ${'n { '.repeat(5000)}${'}; '.repeat(5000)}};\n`;
  t.true(compileDts(deep, { fileName: 'deep.dts' }).diagnostics.some((d) => d.code === 'DTS1015'));
  const parens = `/dts-v1/;\n/ { a = <${'('.repeat(5000)}1${')'.repeat(5000)}>; };\n`;
  t.true(compileDts(parens, { fileName: 'parens.dts' }).diagnostics.some((d) => d.code === 'DTS1015'));
  const unary = `/dts-v1/;\n/ { a = <(${'-'.repeat(5000)}1)>; };\n`;
  t.true(compileDts(unary, { fileName: 'unary.dts' }).diagnostics.some((d) => d.code === 'DTS1015'));
});

test('a huge literal is an out-of-range diagnostic', (t) => {
  const r = compileDts(`/dts-v1/;\n/ { a = <${'9'.repeat(100000)}>; };\n`, { fileName: 'huge.dts' });
  t.true(r.diagnostics.some((d) => d.code === 'DTS1003'));
});
