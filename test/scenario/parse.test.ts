import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  ConfigError,
  migrateScenario,
  parseScenario,
  type ScenarioErrorCode,
} from '../../src/scenario/index.js';

const valid = {
  dts: 'board.dts',
  steps: [
    { id: 'mvusb-load', action: 'load-module', module: 'mdio-mvusb' },
    {
      id: 'pse-load',
      after: { event: 'probe-deferred', device: '&mvusb' },
      delayMs: 500,
      action: 'load-module',
      module: 'pse_regulator',
    },
  ],
  expect: [
    { kind: 'probe-deferred', device: '&mvusb', before: 'pse-load' },
    { kind: 'phy-registered', phy: '&phy0', phyId: '0x01410dd1' },
  ],
};

function errorOf(doc: unknown, text = JSON.stringify(doc, null, 2)): ConfigError {
  try {
    parseScenario(text, 'bad.scenario.json');
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

test('a valid scenario parses, with defaults for name and the settle, quiet and deadline times', (t) => {
  const { scenario: s } = parseScenario(JSON.stringify(valid), 'late.scenario.json', 'late');
  t.is(s.name, 'late');
  t.deepEqual(s.steps[1], {
    index: 1,
    id: 'pse-load',
    after: { kind: 'probe-deferred', device: '&mvusb' },
    delayMs: 500,
    action: { kind: 'load-module', module: 'pse_regulator' },
  });
  t.deepEqual([s.settleMs, s.quietMs, s.deadlineMs], [1000, 3000, 180_000]);
  t.deepEqual(s.expect[1], { kind: 'phy-registered', index: 1, phy: '&phy0', phyId: 0x01410dd1 });
});

test('errors name the bad field by its JSON path and point at its line and column', (t) => {
  const cases: [unknown, ScenarioErrorCode, string][] = [
    [{ ...valid, steps: [{ action: 'load' }] }, 'SCN004', 'steps[0].action'],
    [{ ...valid, steps: [{ action: 'load-module', modul: 'x' }] }, 'SCN005', 'steps[0].modul'],
    [{ ...valid, steps: [{ delayMs: -1, action: 'snapshot' }] }, 'SCN002', 'steps[0].delayMs'],
    [{ ...valid, steps: [{ delayMs: 1e300, action: 'snapshot' }] }, 'SCN002', 'steps[0].delayMs'],
    [
      {
        ...valid,
        steps: [
          { after: 'later', action: 'snapshot' },
          { id: 'later', action: 'snapshot' },
        ],
      },
      'SCN006',
      'steps[0].after',
    ],
    [
      { ...valid, steps: [{ after: { event: 'boot' }, action: 'snapshot' }] },
      'SCN004',
      'steps[0].after.event',
    ],
    [
      { ...valid, expect: [{ kind: 'probe-deferred', device: '&mvusb', before: 'nope' }] },
      'SCN006',
      'expect[0].before',
    ],
    [{ ...valid, expect: [{ kind: 'usb-of-node', device: 'mvusb' }] }, 'SCN002', 'expect[0].device'],
    [
      { ...valid, expect: [{ kind: 'kernel-log', pattern: '(', present: true }] },
      'SCN002',
      'expect[0].pattern',
    ],
    [
      { ...valid, expect: [{ kind: 'command-output', step: 'pse-load', pattern: 'x' }] },
      'SCN006',
      'expect[0].step',
    ],
    [
      {
        ...valid,
        expect: [
          {
            kind: 'kernel-report',
            report: 'kasan',
            present: true,
            knownBug: { name: 'x', kernels: 'soon', bug: 'x' },
          },
        ],
      },
      'SCN002',
      'expect[0].knownBug.kernels',
    ],
    [
      {
        ...valid,
        expect: [
          { kind: 'kernel-report', report: 'kasan', present: true, knownBug: { kernels: '>=6.1', bug: 'x' } },
        ],
      },
      'SCN003',
      'expect[0].knownBug.name',
    ],
    [
      {
        ...valid,
        expect: [{ kind: 'kernel-report', report: 'kasan', present: true, knownBug: 'pse-no-such-bug' }],
      },
      'SCN002',
      'expect[0].knownBug',
    ],
    [
      {
        ...valid,
        expect: [
          {
            kind: 'kernel-report',
            report: 'kasan',
            present: true,
            knownBug: { name: 'x', kernels: '>=6.1', bug: 'x', evidence: ['('] },
          },
        ],
      },
      'SCN002',
      'expect[0].knownBug.evidence[0]',
    ],
    [{ steps: [], expect: [] }, 'SCN003', 'dts'],
  ];
  for (const [doc, code, field] of cases) {
    const err = errorOf(doc);
    t.is(err.code, code, field);
    t.is(err.field, field);
    const report = err.report();
    // file:line:col, the message with the field, then the offending line and a caret under the value.
    t.regex(report, /^bad\.scenario\.json:\d+:\d+: error SCN\d{3}: /, field);
    t.true(report.includes(`${field}: `), report);
  }
});

test('the position is the offending value itself', (t) => {
  const text =
    '{\n  "dts": "b.dts",\n  "steps": [\n    { "action": "load-module", "module": 7 }\n  ],\n  "expect": []\n}\n';
  const err = errorOf(undefined, text);
  t.is(
    err.report().split('\n')[0],
    'bad.scenario.json:4:42: error SCN002: steps[0].module: expected a non-empty string, got 7',
  );
});

test('not JSON at all is SCN001 at the place the JSON breaks', (t) => {
  const err = errorOf(undefined, '{\n  "dts": \n}');
  t.is(err.code, 'SCN001');
  t.regex(err.report(), /^bad\.scenario\.json:3:1: error SCN001: not valid JSON/);
});

test('a format-1 file is refused with the command that migrates it, and the migration parses', (t) => {
  const v1 = readFileSync(fileURLToPath(new URL('fixtures/format1.scenario.json', import.meta.url)), 'utf8');
  const err = errorOf(undefined, v1);
  t.is(err.code, 'SCN009');
  t.regex(err.message, /mdio-emu scenario migrate/);
  const { scenario } = parseScenario(migrateScenario(v1), 'migrated.json');
  // The acts keep their order and gaps; the two names of one act become one; `event` becomes `after`.
  t.deepEqual(
    scenario.steps.map((s) => [s.action.kind, s.delayMs]),
    [
      ['pse-register', 1000],
      ['cable-unplug', 1000],
      ['pd-connect', 500],
    ],
  );
  t.deepEqual(scenario.expect[0], {
    kind: 'first-access-after',
    index: 0,
    phy: '&phy0',
    withinMs: 1000,
    after: 'pse-load',
  });
  t.is(scenario.settleMs, 2500, 'the old fixed end, past the last entry');
});

test('migrating a format-1 end no run can reach is refused at that end, with its line and column', (t) => {
  const v1 = readFileSync(fileURLToPath(new URL('fixtures/format1.scenario.json', import.meta.url)), 'utf8');
  const far = v1.replace('"end": 5000', '"end": 1e300');
  t.not(far, v1);
  const err = t.throws(() => migrateScenario(far, 'old.scenario.json'), { instanceOf: ConfigError });
  t.is(err.code, 'SCN002');
  t.is(err.field, 'end');
  const first = err.report().split('\n')[0] ?? '';
  t.regex(first, /^old\.scenario\.json:5:10: error SCN002: end: expected milliseconds from 0 to 86400000/);
  // An entry's time becomes a step's wait: one past a day is refused at that entry.
  const late = v1.replace('"at": 2000', '"at": 1e12');
  const lateErr = t.throws(() => migrateScenario(late, 'old.scenario.json'), { instanceOf: ConfigError });
  t.is(lateErr.field, 'timeline[1].at');
  // The longest end that is accepted still migrates to a file the run reads.
  const day = v1.replace('"end": 5000', '"end": 86400000');
  const { scenario } = parseScenario(migrateScenario(day), 'migrated.json');
  t.is(scenario.settleMs, 86_400_000 - 2500);
});
