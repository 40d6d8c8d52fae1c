import test from 'ava';
import { parseResultLines, reportCases, resultLines } from '../../src/lava/console-protocol.js';
import { parseLavaLog } from '../../src/lava/results.js';
import type { RunReport } from '../../src/scenario/report.js';

/** A report with what the result block reads: the verdict, steps, expectations (the rest rides along). */
const report = {
  format: 2,
  scenario: 'pse-late',
  pass: false,
  verdict: 'FAIL: 1 of 2 expectations failed',
  steps: [
    { index: 0, id: 'mvusb-load', action: 'load-module', side: 'guest', status: 'done' },
    { index: 1, action: 'usb-disconnect', side: 'hardware', status: 'failed' },
    { index: 2, id: 'never', action: 'load-module', side: 'guest', status: 'waiting' },
  ],
  expectations: [
    { expectation: { kind: 'probe-deferred' }, status: 'held', pass: true, message: '', observed: {} },
    { expectation: { kind: 'phy-registered' }, status: 'failed', pass: false, message: '', observed: {} },
    { expectation: { kind: 'no-access' }, status: 'expected-failure', pass: true, message: '', observed: {} },
  ],
  details: {
    emulatorTrace: Array.from({ length: 500 }, (_, i) => ({ reg: i % 32, value: (i * 7919) & 0xffff })),
  },
} as unknown as RunReport;

test('the result block carries the cases and the whole report, in lines LAVA logs one by one', (t) => {
  const lines = resultLines(report);
  t.true(lines.every((l) => l.length <= 120 && !l.includes('\n')));
  t.deepEqual(reportCases(report), [
    { id: 'verdict', result: 'fail' },
    { id: 'step-0-mvusb-load', result: 'pass' },
    { id: 'step-1-usb-disconnect', result: 'fail' },
    { id: 'step-2-never', result: 'skip' },
    { id: 'expect-0-probe-deferred', result: 'pass' },
    { id: 'expect-1-phy-registered', result: 'fail' },
    // A known bug failing as it must is not a failure of the run.
    { id: 'expect-2-no-access', result: 'pass' },
  ]);
  const back = parseResultLines(['boot line', 'another', ...lines, 'after the end']);
  t.deepEqual(back.report, report);
  t.deepEqual(back.cases, reportCases(report));
  t.deepEqual(back.console, ['boot line', 'another']);
});

test('a damaged report line is reported, not thrown', (t) => {
  const lines = resultLines(report).map((l) =>
    l.startsWith('mdio-emu-lava: report ') ? `${l.slice(0, -4)}!!!!` : l,
  );
  const back = parseResultLines(lines);
  t.is(back.report, undefined);
  t.regex(back.problem ?? '', /do not decode/);
  t.is(back.cases.length, 7);
});

/** Records as the 2023.01 dispatcher writes them (the shapes of its `target` and `results` records). */
const records = [
  { dt: '2026-12-06T02:47:41.4', lvl: 'info', msg: 'start: 0 validate' },
  { dt: '2026-12-06T02:47:45.0', lvl: 'target', msg: '5,1,0,-;Linux version 6.1.192' },
  ...resultLines(report).map((msg) => ({ dt: '2026-12-06T02:47:49.6', lvl: 'target', msg })),
  {
    dt: '2026-12-06T02:47:49.6',
    lvl: 'results',
    msg: {
      case: 'expect_1_phy_registered',
      definition: 'mdio-emu-pse-late',
      extra: { test_case_id: 'expect-1-phy-registered' },
      level: '3.1',
      result: 'fail',
    },
  },
  { dt: '2026-12-06T02:47:49.9', lvl: 'results', msg: { case: 'job', definition: 'lava', result: 'pass' } },
];

test("lava-run's JSON lines and a server's output.yaml read the same", (t) => {
  const jsonLines = records.map((r) => JSON.stringify(r)).join('\n');
  const outputYaml = records.map((r) => `- ${JSON.stringify(r)}`).join('\n');
  const a = parseLavaLog(jsonLines, 'lava.log');
  const b = parseLavaLog(outputYaml, 'output.yaml');
  t.deepEqual(a, b);
  t.deepEqual(a.job, { result: 'pass' });
  t.deepEqual(a.report, report);
  t.deepEqual(a.console, ['5,1,0,-;Linux version 6.1.192']);
  // The dispatcher's case name has underscores; the id the wrapper printed is kept.
  t.deepEqual(a.results[0], {
    definition: 'mdio-emu-pse-late',
    case: 'expect-1-phy-registered',
    result: 'fail',
  });
});

test('a log cut before the job ended says so; a file that is no LAVA log is refused with its line', (t) => {
  const cut = parseLavaLog(
    records
      .slice(0, 2)
      .map((r) => JSON.stringify(r))
      .join('\n'),
    'lava.log',
  );
  t.is(cut.job.result, 'unknown');
  t.is(cut.report, undefined);
  const err = t.throws(() => parseLavaLog('{"lvl": "info"}\n{ not: [closed', 'x.log'));
  t.regex(err.message, /x\.log:2/);
});
