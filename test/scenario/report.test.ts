import test from 'ava';
import { buildReport } from '../../src/scenario/report.js';
import { RunLog } from '../../src/scenario/run-log.js';
import { parseScenario } from '../../src/scenario/parse.js';

test('step times share the event times grid: a link change at a step start is not before it', (t) => {
  // A hardware step's action and the link change it causes happen at the same guest instant, with more than
  // microsecond precision (a QEMU guest's clock); the report rounds event times to the microsecond.
  const at = 1234.5674;
  const log = new RunLog(() => undefined);
  log.push(at, {
    type: 'phy.link',
    t: at,
    phy: '/mdio/ethernet-phy@0',
    up: false,
    speed: 1000,
    duplex: 'full',
    method: 'autoneg',
  });
  const { scenario } = parseScenario(
    JSON.stringify({
      format: 2,
      name: 'grid',
      dts: 'x.dts',
      steps: [{ id: 'cable-out', action: 'snapshot' }],
      expect: [],
    }),
    'grid.scenario.json',
  );
  const report = buildReport({
    scenario,
    scenarioFile: 'grid.scenario.json',
    guest: { kind: 'kernel-model' },
    result: {
      end: { reason: 'settled', detail: '', at: 2000 },
      knownBugs: [],
      steps: [
        {
          index: 0,
          id: 'cable-out',
          action: 'snapshot',
          side: 'guest',
          status: 'done',
          startedAt: at,
          doneAt: at,
        },
      ],
      expectations: [],
      pass: true,
    },
    log,
    wallMs: 1,
  });
  const started = report.steps[0]?.startedAt ?? Infinity;
  t.deepEqual(
    report.links[0]?.changes.filter((c) => c.t >= started).map((c) => c.up),
    [false],
  );
});
