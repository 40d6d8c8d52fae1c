import test from 'ava';
import { ConfigError, parseScenario, type ScenarioErrorCode } from '../../src/scenario/index.js';

const valid = {
  dts: 'board.dts',
  clock: 'wall',
  timeline: [
    { at: 0, action: 'load-module', module: 'mdio-mvusb' },
    { at: 2000, id: 'pse-load', action: 'load-module', module: 'pse_regulator' },
  ],
  expect: [
    { kind: 'probe-deferred', device: '&mvusb', before: 'pse-load' },
    { kind: 'phy-registered', phy: '&phy0', phyId: '0x01410dd1' },
  ],
};

function errorOf(doc: unknown): ConfigError {
  const err = (() => {
    try {
      parseScenario(JSON.stringify(doc));
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  if (!(err instanceof ConfigError)) throw new Error('expected a ConfigError');
  return err;
}

test('a valid scenario parses, with defaults for name, settle time and end', (t) => {
  const s = parseScenario(JSON.stringify(valid), 'late');
  t.is(s.name, 'late');
  t.deepEqual(s.timeline[1], {
    at: 2000,
    id: 'pse-load',
    action: { kind: 'load-module', module: 'pse_regulator' },
  });
  t.is(s.end, 3000); // last entry + default settle of 1000 ms
  t.deepEqual(s.expect[1], { kind: 'phy-registered', phy: '&phy0', phyId: 0x01410dd1 });
});

test('errors name the bad field and carry a stable code', (t) => {
  const cases: [unknown, ScenarioErrorCode, string][] = [
    [{ ...valid, clock: 'fast' }, 'SCN004', 'clock'],
    [{ ...valid, timeline: [{ at: 0, action: 'load' }] }, 'SCN004', 'timeline[0].action'],
    [{ ...valid, timeline: [{ at: 0, action: 'load-module', modul: 'x' }] }, 'SCN005', 'timeline[0].modul'],
    [{ ...valid, timeline: [{ at: -1, action: 'snapshot' }] }, 'SCN002', 'timeline[0].at'],
    [
      {
        ...valid,
        timeline: [
          { at: 5, action: 'snapshot' },
          { at: 1, action: 'snapshot' },
        ],
      },
      'SCN007',
      'timeline[1].at',
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
    [{ clock: 'wall', timeline: [], expect: [] }, 'SCN003', 'dts'],
  ];
  for (const [doc, code, field] of cases) {
    const err = errorOf(doc);
    t.is(err.code, code, field);
    t.is(err.field, field);
    t.true(err.message.startsWith(`${field}: `), err.message);
  }
});

test('not JSON at all is SCN001', (t) => {
  const err = t.throws(() => parseScenario('{ dts: '), { instanceOf: ConfigError });
  t.is(err.code, 'SCN001');
});
