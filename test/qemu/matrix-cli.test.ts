import test from 'ava';
import { basename } from 'node:path';
import { formatMatrix, shippedQemuScenarios } from '../../cli/qemu-matrix.js';
import { notForKernel, type MatrixCell, type MatrixReport } from '../../src/qemu/matrix.js';
import { renderMatrixHtml } from '../../src/qemu/matrix-html.js';

/** `mdio-emu qemu matrix`'s text grid and its default scenario set. */
const cell = (kernel: string, over: Partial<MatrixCell>): MatrixCell => ({
  scenario: 'pse-late',
  scenarioFile: 'dts/qemu-pse-late.scenario.json',
  kernel,
  pass: true,
  verdict: 'PASS',
  end: 'settled',
  wallMs: 4000,
  expectations: [],
  pseAttach: [],
  deferrals: [],
  knownBugs: [],
  reports: [],
  traffic: { mdio: 11, i2c: 0 },
  report: `${kernel}/pse-late/report.html`,
  ...over,
});

test('the text grid: a verdict per kernel, the known bugs seen and where, failures, n/a cells left out of the count', (t) => {
  const cells = [
    cell('base', {
      knownBugs: ['pse-kfifo-nr-lines'],
      expectations: [
        {
          kind: 'first-access-after',
          status: 'expected-failure',
          message: 'x',
          knownBug: 'pse-kfifo-nr-lines',
        },
      ],
    }),
    cell('patched', {}),
    cell('crashing', { pass: false, end: 'guest-crashed', verdict: 'FAIL: guest crashed (Oops)' }),
    notForKernel(
      'pse-late',
      'dts/qemu-pse-late.scenario.json',
      { name: 'old', release: '6.1.192' },
      '>=6.17',
    ),
  ];
  const m: MatrixReport = {
    format: 1,
    kernels: ['base', 'patched', 'crashing', 'old'].map((name) => ({ name })),
    scenarios: ['pse-late'],
    cells,
    differences: {},
    pass: false,
    wallMs: 12_000,
    jobs: 2,
  };
  const text = formatMatrix(m, '/r');
  t.regex(text, /^pse-late\s+PASS\*\s+PASS\s+CRASH\s+n\/a\s*$/m);
  t.regex(text, /^ {2}pse-kfifo-nr-lines \(base\)$/m);
  t.regex(text, /^FAIL pse-late on crashing: FAIL: guest crashed \(Oops\)$/m);
  t.regex(text, /^FAIL: 2\/3 runs passed \(1 n\/a\), 12 s wall, 2 guest\(s\) at once; \/r\/report\.html$/m);
});

test('by default the matrix runs the QEMU scenarios in dts/, not the kernel-model-only ones', (t) => {
  const names = shippedQemuScenarios().map((f) => basename(f));
  t.true(names.includes('qemu-pse-late.scenario.json'));
  t.true(names.includes('gen-qemu-podl-phy-first.scenario.json'));
  t.true(names.includes('qemu-three-buses.scenario.json'));
  t.false(
    names.some((n) => n.startsWith('gen-podl-') || n.startsWith('gen-tps')),
    names.join(' '),
  );
});

test('a guest that froze is FROZE in the grid and on the page, with how it was seen', (t) => {
  const verdict =
    "FAIL: guest froze: no heartbeat for 31.0 s (QEMU's process is stopped); guest clock stopped at 9.0 s, no output; 0/1 expectations held";
  const m: MatrixReport = {
    format: 1,
    kernels: [{ name: '7.2' }, { name: '6.1' }],
    scenarios: ['pse-late'],
    cells: [cell('7.2', { pass: false, end: 'guest-frozen', verdict }), cell('6.1', {})],
    differences: {},
    pass: false,
    wallMs: 40_000,
    jobs: 1,
  };
  const text = formatMatrix(m, '/r');
  t.regex(text, /^pse-late\s+FROZE\s+PASS\s*$/m);
  t.true(text.includes(`FAIL pse-late on 7.2: ${verdict}`));
  const html = renderMatrixHtml(m);
  t.regex(html, /<b>FROZE<\/b>/);
  t.true(html.includes('guest froze: no heartbeat for 31.0 s'));
});
